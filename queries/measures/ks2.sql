-- name: ks2
-- title: Key stage 2 reading, writing, maths, RWM, GPS and science at the expected standard, by social care group
-- kind: measure
-- implements: "domain.md §2 (KS2: scaled score >= 100, writing TA EXS or GDS, RWM = all three; EES column names; x in 2019/20 and 2020/21)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: pupils at the expected standard in each subject, and in reading, writing and maths together
-- denominator: pupils in the group with a KS2 result that year (eligible pupils)
-- not_collected: [201920, 202021]
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils with a KS2 result
--   t_read_eligible_pupils: int64, pupils eligible for reading
--   t_read_met_expected_standard: int64, reading scaled score 100 or more
--   t_writta_eligible_pupils: int64, pupils eligible for writing teacher assessment
--   t_writta_met_expected_standard: int64, writing TA EXS or GDS
--   t_mat_eligible_pupils: int64, pupils eligible for maths
--   t_mat_met_expected_standard: int64, maths scaled score 100 or more
--   t_rwm_eligible_pupils: int64, pupils eligible for reading, writing and maths
--   t_rwm_met_expected_standard: int64, expected standard in all three
--   t_gps_eligible_pupils: int64, pupils eligible for grammar, punctuation and spelling
--   t_gps_met_expected_standard: int64, GPS scaled score 100 or more
--   t_scita_eligible_pupils: int64, pupils eligible for science teacher assessment
--   t_scita_met_expected_standard: int64, science TA EXS
--   pt_read_met_expected_standard: float64, % of eligible pupils
--   pt_writta_met_expected_standard: float64, % of eligible pupils
--   pt_mat_met_expected_standard: float64, % of eligible pupils
--   pt_rwm_met_expected_standard: float64, % of eligible pupils
--   pt_gps_met_expected_standard: float64, % of eligible pupils
--   pt_scita_met_expected_standard: float64, % of eligible pupils
--
-- Every pupil with a result row is eligible: a missing score (absent, working below
-- the test) counts as not meeting the standard, as in DfE's headline measures.

with

results as (
    -- One result per pupil: should a pupil have several rows (results from two LAs), the
    -- row first by LA then URN (nulls last), then by its results, so the choice never
    -- depends on file order. It is chosen as the least of one key per row, an aggregate:
    -- row_number() over every pupil took DataFusion 1.8 s of CPU a national year, spent
    -- on 650k one-row partitions. The URN is padded so that it sorts as a number.
    select
        pupil_id,
        cast(split_part(record, ' ', 3) as int) as reading,
        cast(split_part(record, ' ', 4) as int) as writing,
        cast(split_part(record, ' ', 5) as int) as maths,
        cast(split_part(record, ' ', 6) as int) as gps,
        cast(split_part(record, ' ', 7) as int) as science
    from (
        select
            pupil_id,
            -- No argument is null (Spark's concat would be null if one were).
            min(concat(
                coalesce(la_code, '~'), ' ',
                coalesce(lpad(cast(urn as string), 10, '0'), '~'), ' ',
                case when reading_score >= 100 then '1' else '0' end, ' ',
                case when writing_ta in ('EXS', 'GDS') then '1' else '0' end, ' ',
                case when maths_score >= 100 then '1' else '0' end, ' ',
                case when gps_score >= 100 then '1' else '0' end, ' ',
                case when science_ta = 'EXS' then '1' else '0' end
            )) as record
        from ks2_attainment
        where academic_year = $academic_year
        group by pupil_id
    ) as keys
),

pupils as (
    -- cohort_pupils never leaves a characteristic null, so a null below means Total.
    select
        cohort_pupils.social_care_group,
        cohort_pupils.phase_type_grouping,
        cohort_pupils.sex,
        cohort_pupils.sen_provision,
        cohort_pupils.year_group,
        results.reading,
        results.writing,
        results.maths,
        results.reading * results.writing * results.maths as rwm,
        results.gps,
        results.science
    -- The results, the smaller side, first: DataFusion builds a hash join's table from its
    -- left input.
    from results
    inner join cohort_pupils
        on results.pupil_id = cohort_pupils.pupil_id
        and cohort_pupils.academic_year = $academic_year
),

cells as (
    -- One row per combination of the breakdowns first, so the grouping sets below
    -- add up a few thousand rows instead of every pupil five times over.
    select
        social_care_group,
        phase_type_grouping,
        sex,
        sen_provision,
        year_group,
        count(*) as t_pupils,
        sum(reading) as t_read_met_expected_standard,
        sum(writing) as t_writta_met_expected_standard,
        sum(maths) as t_mat_met_expected_standard,
        sum(rwm) as t_rwm_met_expected_standard,
        sum(gps) as t_gps_met_expected_standard,
        sum(science) as t_scita_met_expected_standard
    from pupils
    group by social_care_group, phase_type_grouping, sex, sen_provision, year_group
),

final as (
    select
        social_care_group,
        coalesce(phase_type_grouping, 'Total') as phase_type_grouping,
        coalesce(sex, 'Total') as sex,
        coalesce(sen_provision, 'Total') as sen_provision,
        coalesce(year_group, 'Total') as year_group,
        sum(t_pupils) as t_pupils,
        sum(t_read_met_expected_standard) as t_read_met_expected_standard,
        sum(t_writta_met_expected_standard) as t_writta_met_expected_standard,
        sum(t_mat_met_expected_standard) as t_mat_met_expected_standard,
        sum(t_rwm_met_expected_standard) as t_rwm_met_expected_standard,
        sum(t_gps_met_expected_standard) as t_gps_met_expected_standard,
        sum(t_scita_met_expected_standard) as t_scita_met_expected_standard
    from cells
    group by grouping sets (
        (social_care_group),
        (social_care_group, phase_type_grouping),
        (social_care_group, sex),
        (social_care_group, sen_provision),
        (social_care_group, year_group)
    )
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    phase_type_grouping,
    sex,
    sen_provision,
    year_group,
    t_pupils,
    t_pupils as t_read_eligible_pupils,
    t_read_met_expected_standard,
    t_pupils as t_writta_eligible_pupils,
    t_writta_met_expected_standard,
    t_pupils as t_mat_eligible_pupils,
    t_mat_met_expected_standard,
    t_pupils as t_rwm_eligible_pupils,
    t_rwm_met_expected_standard,
    t_pupils as t_gps_eligible_pupils,
    t_gps_met_expected_standard,
    t_pupils as t_scita_eligible_pupils,
    t_scita_met_expected_standard,
    100 * cast(t_read_met_expected_standard as double) / t_pupils as pt_read_met_expected_standard,
    100 * cast(t_writta_met_expected_standard as double) / t_pupils as pt_writta_met_expected_standard,
    100 * cast(t_mat_met_expected_standard as double) / t_pupils as pt_mat_met_expected_standard,
    100 * cast(t_rwm_met_expected_standard as double) / t_pupils as pt_rwm_met_expected_standard,
    100 * cast(t_gps_met_expected_standard as double) / t_pupils as pt_gps_met_expected_standard,
    100 * cast(t_scita_met_expected_standard as double) / t_pupils as pt_scita_met_expected_standard
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
