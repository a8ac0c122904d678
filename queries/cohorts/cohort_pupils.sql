-- name: cohort_pupils
-- title: Each group's pupils with their characteristics that year, the table every measure reads
-- kind: cohort
-- table: cohort_pupils
-- implements: "domain.md §1 (the groups, counted as pupils) and §2 (breakdowns: phase_type_grouping, sex, SEN provision, year group)"
-- grain: one row per academic year, social care group and pupil
-- numerator: not applicable (membership)
-- denominator: not applicable (membership)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   pupil_id: string, pseudonymised pupil
--   on_census: boolean, has a pupil_years record that year (on roll at some point of it)
--   on_spring_census: boolean, on roll at the spring (January) census
--   phase_type_grouping: string, as pupil_years, or Unknown with no census record that year
--   sex: string, Female, Male or Unknown
--   sen_provision: string, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Reception, Year 1 … or Unknown
--   fsm_eligible: boolean, eligible for free school meals on the spring census day
--   primary_need: string, the SEN type ranked 1 in the spring census, null without one
--   sessions_possible: int64, the year's possible sessions while of compulsory school age (pupil_years), null with none
--   sessions_authorised: int64, the year's authorised absence sessions (pupil_years)
--   sessions_unauthorised: int64, the year's unauthorised absence sessions (pupil_years)
--
-- The groups (cohort) joined once to the pupils' characteristics (pupil_years), so each
-- measure joins its per-pupil values to one table instead of two. A child with no
-- pupil_id cannot be matched to school records and is not here (domain.md §4); the
-- coverage measure counts them.

with

members as (
    -- Persons are one per pupil (persons.sql); distinct all the same, so a group never
    -- counts a pupil twice.
    select distinct social_care_group, pupil_id
    from cohort
    where academic_year = $academic_year
      and person_id is not null
      and pupil_id is not null
    union all
    -- Rows without a child (All pupils comparison, its peers) are one per pupil already,
    -- by cohort's grain: no need to make the largest groups distinct again.
    select social_care_group, pupil_id
    from cohort
    where academic_year = $academic_year
      and person_id is null
      and pupil_id is not null
),

characteristics as (
    select
        pupil_id,
        on_spring_census,
        phase_type_grouping,
        sex,
        sen_provision,
        year_group,
        fsm_eligible,
        primary_need,
        sessions_possible,
        sessions_authorised,
        sessions_unauthorised
    from pupil_years
    where academic_year = $academic_year
)

select
    cast($academic_year as int) as academic_year,
    members.social_care_group,
    members.pupil_id,
    characteristics.pupil_id is not null as on_census,
    coalesce(characteristics.on_spring_census, false) as on_spring_census,
    -- Unknown, never null: a null in a measure's grouping sets means Total.
    coalesce(characteristics.phase_type_grouping, 'Unknown') as phase_type_grouping,
    coalesce(characteristics.sex, 'Unknown') as sex,
    coalesce(characteristics.sen_provision, 'Unknown') as sen_provision,
    coalesce(characteristics.year_group, 'Unknown') as year_group,
    coalesce(characteristics.fsm_eligible, false) as fsm_eligible,
    characteristics.primary_need,
    characteristics.sessions_possible,
    characteristics.sessions_authorised,
    characteristics.sessions_unauthorised
-- pupil_years, the smaller side, first: DataFusion builds a hash join's table from its
-- left input, and a build side cannot spill under --memory-limit.
from characteristics
right join members on characteristics.pupil_id = members.pupil_id
-- No order: a table for the measures to aggregate.
