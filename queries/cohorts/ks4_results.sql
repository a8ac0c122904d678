-- name: ks4_results
-- title: Each person's KS4 results at the end of key stage 4
-- kind: cohort
-- table: ks4_results
-- implements: "domain.md §2 (KS4: Attainment 8, Progress 8, English and maths 4+ and 5+, EBacc entry and APS). DfE Secondary accountability measures guide"
-- grain: one row per academic year and person (keyed by pupil_id, its least pupil id) at the end of KS4 that year
-- numerator: not applicable (per pupil)
-- denominator: not applicable (per pupil)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   pupil_id: string, the person's key (persons.sql)
--   attainment8: float64, Attainment 8 score, null with no qualifying entries
--   progress8: float64, Progress 8 score, null without one
--   basics_4: int32, 1 with English and maths at grade 4 or above, else 0
--   basics_5: int32, 1 with English and maths at grade 5 or above, else 0
--   ebacc_aps: float64, EBacc average point score, null without one
--   ebacc_entered: int32, 1 entered every EBacc pillar, 0 not, null from a file without EBACC_ENTRY
--
-- A table of its own because two queries read it: the ks4 measure and the
-- pupil-level outcomes the stats stage fits (pupil_outcomes).

with

aliases as (
    -- Pupil ids that are not their person's key (persons.sql).
    select id, person_id
    from person_ids
    where kind = 'pupil'
      and id <> person_id
),

final as (
    -- One result per pupil: should a pupil have several rows (results from two LAs), the
    -- row first by LA then URN (nulls last), then by its results, so the choice never
    -- depends on file order. It is chosen as the least of one key per row, an aggregate:
    -- row_number() over every pupil took DataFusion 1.8 s of CPU a national year, spent
    -- on 650k one-row partitions. The URN is padded so that it sorts as a number; a
    -- score goes into the key as text and comes back unchanged (the shortest text that
    -- reads back as the same double, in DataFusion, DuckDB and Spark alike).
    select
        pupil_id,
        cast(nullif(split_part(record, ' ', 3), '') as double) as attainment8,
        cast(nullif(split_part(record, ' ', 4), '') as double) as progress8,
        cast(split_part(record, ' ', 5) as int) as basics_4,
        cast(split_part(record, ' ', 6) as int) as basics_5,
        cast(nullif(split_part(record, ' ', 7), '') as double) as ebacc_aps,
        cast(nullif(split_part(record, ' ', 8), '') as int) as ebacc_entered
    from (
        select
            coalesce(aliases.person_id, ks4_attainment.pupil_id) as pupil_id,
            -- No argument is null (Spark's concat would be null if one were).
            min(concat(
                coalesce(la_code, '~'), ' ',
                coalesce(lpad(cast(urn as string), 10, '0'), '~'), ' ',
                coalesce(cast(attainment8 as string), ''), ' ',
                coalesce(cast(progress8 as string), ''), ' ',
                case when english_maths_4 then '1' else '0' end, ' ',
                case when english_maths_5 then '1' else '0' end, ' ',
                coalesce(cast(ebacc_aps as string), ''), ' ',
                case when ebacc_entered then '1' when not ebacc_entered then '0' else '' end
            )) as record
        -- Results under a pupil's former UPN are the person's (persons.sql).
        from aliases
        right join ks4_attainment on aliases.id = ks4_attainment.pupil_id
        where ks4_attainment.academic_year = $academic_year
        group by coalesce(aliases.person_id, ks4_attainment.pupil_id)
    ) as keys
)

select
    cast($academic_year as int) as academic_year,
    pupil_id,
    attainment8,
    progress8,
    basics_4,
    basics_5,
    ebacc_aps,
    ebacc_entered
from final
