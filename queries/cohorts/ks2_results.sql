-- name: ks2_results
-- title: Each person's KS2 result per subject, met, not met or not eligible
-- kind: cohort
-- table: ks2_results
-- implements: "domain.md §2 (KS2: scaled score >= 100, writing TA EXS or GDS; eligibility and result codes by the DfE KS2 performance measures). DfE Primary school accountability guidance: absent, working below the test, unable to access, just arrived, maladministration and cheating count as not meeting the standard; left and missing leave the denominator"
-- grain: one row per academic year and person (keyed by pupil_id, its least pupil id) with a KS2 result that year
-- numerator: not applicable (per pupil)
-- denominator: not applicable (per pupil)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   pupil_id: string, the person's key (persons.sql)
--   reading: int32, 1 met the expected standard, 0 not met, null not eligible
--   writing: int32, writing teacher assessment, as reading
--   maths: int32, as reading
--   gps: int32, grammar, punctuation and spelling, as reading
--   science: int32, science teacher assessment, as reading
--
-- A table of its own because two queries read it: the ks2 measure and the
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
    -- on 650k one-row partitions. The URN is padded so that it sorts as a number.
    select
        pupil_id,
        -- Per subject: 1 met, 0 not met, null not eligible.
        cast(nullif(split_part(record, ' ', 3), '-') as int) as reading,
        cast(nullif(split_part(record, ' ', 4), '-') as int) as writing,
        cast(nullif(split_part(record, ' ', 5), '-') as int) as maths,
        cast(nullif(split_part(record, ' ', 6), '-') as int) as gps,
        cast(nullif(split_part(record, ' ', 7), '-') as int) as science
    from (
        select
            coalesce(aliases.person_id, ks2_attainment.pupil_id) as pupil_id,
            -- No argument is null (Spark's concat would be null if one were); '-' is
            -- not eligible.
            min(concat(
                coalesce(la_code, '~'), ' ',
                coalesce(lpad(cast(urn as string), 10, '0'), '~'), ' ',
                case
                    when reading_score >= 100 then '1'
                    when reading_result in ('L', 'M') then '-'
                    else '0'
                end, ' ',
                case
                    when writing_ta in ('EXS', 'GDS') then '1'
                    when writing_ta in ('L', 'F', 'P') then '-'
                    else '0'
                end, ' ',
                case
                    when maths_score >= 100 then '1'
                    when maths_result in ('L', 'M') then '-'
                    else '0'
                end, ' ',
                case
                    when gps_score >= 100 then '1'
                    when gps_result in ('L', 'M') then '-'
                    else '0'
                end, ' ',
                case
                    when science_ta = 'EXS' then '1'
                    when science_ta in ('L', 'F', 'P') then '-'
                    else '0'
                end
            )) as record
        -- Results under a pupil's former UPN are the person's (persons.sql).
        from aliases
        right join ks2_attainment on aliases.id = ks2_attainment.pupil_id
        where ks2_attainment.academic_year = $academic_year
        group by coalesce(aliases.person_id, ks2_attainment.pupil_id)
    ) as keys
)

select
    cast($academic_year as int) as academic_year,
    pupil_id,
    reading,
    writing,
    maths,
    gps,
    science
from final
