-- name: pupil_exclusions
-- title: Each person's suspensions and permanent exclusion in the academic year
-- kind: cohort
-- table: pupil_exclusions
-- implements: "domain.md §2 (exclusions over the whole year: by the start date's academic year, whatever census carried them) and §5 (FIXD read as SUSP; de-duplicated on pupil, start date and category)"
-- grain: one row per academic year and person (keyed by pupil_id, its least pupil id) with an exclusion that year
-- numerator: not applicable (per pupil)
-- denominator: not applicable (per pupil)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   pupil_id: string, the person's key (persons.sql)
--   permanent: int32, 1 if permanently excluded in the year, else 0
--   suspensions: int64, suspensions starting in the year
--
-- A table of its own because two queries read it: the exclusions measure and the
-- pupil-level outcomes the stats stage fits (pupil_outcomes).

with

aliases as (
    -- Pupil ids that are not their person's key (persons.sql).
    select id, person_id
    from person_ids
    where kind = 'pupil'
      and id <> person_id
),

person_exclusions as (
    -- Per person: exclusions under a pupil's former UPN are the person's (persons.sql).
    -- Extract de-duplicates an exclusion two censuses carry (pupil, start date,
    -- category; domain.md §5) under one UPN; a pupil whose UPN changed between those
    -- censuses has it under both, so it is de-duplicated again per person here.
    select distinct
        coalesce(aliases.person_id, exclusions.pupil_id) as pupil_id,
        exclusions.start_date,
        exclusions.category
    from aliases
    right join exclusions on aliases.id = exclusions.pupil_id
    where exclusions.academic_year = $academic_year
),

final as (
    select
        pupil_id,
        max(case when category = 'PERM' then 1 else 0 end) as permanent,
        sum(case when category in ('FIXD', 'SUSP') then 1 else 0 end) as suspensions
    from person_exclusions
    group by pupil_id
)

select
    cast($academic_year as int) as academic_year,
    pupil_id,
    cast(permanent as int) as permanent,
    cast(suspensions as bigint) as suspensions
from final
