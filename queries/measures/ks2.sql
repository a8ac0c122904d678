-- name: ks2
-- title: Key stage 2 reading, writing, maths, RWM, GPS and science at the expected standard, by social care group
-- kind: measure
-- implements: "domain.md §2 (KS2: scaled score >= 100, writing TA EXS or GDS, RWM = all three; eligibility and result codes by the DfE KS2 performance measures; EES column names; x in 2019/20 and 2020/21). DfE Primary school accountability guidance: absent, working below the test, unable to access, just arrived, maladministration and cheating count as not meeting the standard; left and missing leave the denominator"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: pupils at the expected standard in each subject, and in reading, writing and maths together
-- denominator: per subject, the group's pupils with a KS2 result that year eligible for it (eligible pupils); for RWM, eligible in all three
-- not_collected: [201920, 202021]
-- research_question: RQ3 attainment
-- did_years: {pre_until: 201819, post_from: 202122}
-- indicators:
--   pt_read_met_expected_standard: {estimator: proportion, numerator: t_read_met_expected_standard, denominator: t_read_eligible_pupils, label: "Reading: % at expected standard", dp: 0}
--   pt_writta_met_expected_standard: {estimator: proportion, numerator: t_writta_met_expected_standard, denominator: t_writta_eligible_pupils, label: "Writing (teacher assessment): % at expected standard", dp: 0}
--   pt_mat_met_expected_standard: {estimator: proportion, numerator: t_mat_met_expected_standard, denominator: t_mat_eligible_pupils, label: "Maths: % at expected standard", dp: 0}
--   pt_rwm_met_expected_standard: {estimator: proportion, numerator: t_rwm_met_expected_standard, denominator: t_rwm_eligible_pupils, pupil_level: [ks2_rwm_met, ks2_rwm_eligible], label: "Reading, writing and maths: % at expected standard", dp: 0}
--   pt_gps_met_expected_standard: {estimator: proportion, numerator: t_gps_met_expected_standard, denominator: t_gps_eligible_pupils, label: "Grammar, punctuation, spelling: % expected standard", dp: 0}
--   pt_scita_met_expected_standard: {estimator: proportion, numerator: t_scita_met_expected_standard, denominator: t_scita_eligible_pupils, label: "Science (teacher assessment): % at expected standard", dp: 0}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils at the end of key stage 2}
--   t_read_eligible_pupils: {counts: pupils, of: t_pupils, label: Number of pupils eligible for reading}
--   t_writta_eligible_pupils: {counts: pupils, of: t_pupils, label: Number of pupils eligible for writing (teacher assessment)}
--   t_mat_eligible_pupils: {counts: pupils, of: t_pupils, label: Number of pupils eligible for maths}
--   t_rwm_eligible_pupils: {counts: pupils, of: t_pupils, label: "Number of pupils eligible for reading, writing and maths"}
--   t_gps_eligible_pupils: {counts: pupils, of: t_pupils, label: "Number of pupils eligible for grammar, punctuation and spelling"}
--   t_scita_eligible_pupils: {counts: pupils, of: t_pupils, label: Number of pupils eligible for science (teacher assessment)}
--   t_read_met_expected_standard: {counts: pupils, of: t_read_eligible_pupils, label: Number of pupils at the expected standard in reading}
--   t_writta_met_expected_standard: {counts: pupils, of: t_writta_eligible_pupils, label: Number of pupils at the expected standard in writing}
--   t_mat_met_expected_standard: {counts: pupils, of: t_mat_eligible_pupils, label: Number of pupils at the expected standard in maths}
--   t_rwm_met_expected_standard: {counts: pupils, of: t_rwm_eligible_pupils, label: "Number of pupils at the expected standard in reading, writing and maths"}
--   t_gps_met_expected_standard: {counts: pupils, of: t_gps_eligible_pupils, label: "Number of pupils at the expected standard in grammar, punctuation and spelling"}
--   t_scita_met_expected_standard: {counts: pupils, of: t_scita_eligible_pupils, label: Number of pupils at the expected standard in science}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils with a KS2 result (at the end of KS2)
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
-- Not every row is eligible for every subject (code lists ks2_test_result,
-- ks2_writing_ta, ks2_science_ta, their `meaning`): a test result L (left) or M
-- (missing) and a teacher assessment L, F or P (left; assessed in a later or an earlier
-- year) take the pupil out of that subject's denominator; every other row without the
-- standard (a scaled score under 100; A absent, B working below the test, U unable to
-- access it, J just arrived, Q maladministration, H cheating; WTS, pre-key stage, D
-- disapplied; a blank, from a file without result codes) is in the denominator, not
-- meeting it. RWM counts pupils eligible in all three of reading, writing and maths.

with

results as (
    -- One result per person (ks2_results.sql, which chooses it).
    select pupil_id, reading, writing, maths, gps, science
    from ks2_results
    where academic_year = $academic_year
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
        -- Eligible for RWM when eligible in all three (a null in any is null).
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
        count(reading) as t_read_eligible_pupils,
        count(writing) as t_writta_eligible_pupils,
        count(maths) as t_mat_eligible_pupils,
        count(rwm) as t_rwm_eligible_pupils,
        count(gps) as t_gps_eligible_pupils,
        count(science) as t_scita_eligible_pupils,
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
        sum(t_read_eligible_pupils) as t_read_eligible_pupils,
        sum(t_writta_eligible_pupils) as t_writta_eligible_pupils,
        sum(t_mat_eligible_pupils) as t_mat_eligible_pupils,
        sum(t_rwm_eligible_pupils) as t_rwm_eligible_pupils,
        sum(t_gps_eligible_pupils) as t_gps_eligible_pupils,
        sum(t_scita_eligible_pupils) as t_scita_eligible_pupils,
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
    t_read_eligible_pupils,
    coalesce(t_read_met_expected_standard, 0) as t_read_met_expected_standard,
    t_writta_eligible_pupils,
    coalesce(t_writta_met_expected_standard, 0) as t_writta_met_expected_standard,
    t_mat_eligible_pupils,
    coalesce(t_mat_met_expected_standard, 0) as t_mat_met_expected_standard,
    t_rwm_eligible_pupils,
    coalesce(t_rwm_met_expected_standard, 0) as t_rwm_met_expected_standard,
    t_gps_eligible_pupils,
    coalesce(t_gps_met_expected_standard, 0) as t_gps_met_expected_standard,
    t_scita_eligible_pupils,
    coalesce(t_scita_met_expected_standard, 0) as t_scita_met_expected_standard,
    100 * cast(coalesce(t_read_met_expected_standard, 0) as double) / nullif(t_read_eligible_pupils, 0) as pt_read_met_expected_standard,
    100 * cast(coalesce(t_writta_met_expected_standard, 0) as double) / nullif(t_writta_eligible_pupils, 0) as pt_writta_met_expected_standard,
    100 * cast(coalesce(t_mat_met_expected_standard, 0) as double) / nullif(t_mat_eligible_pupils, 0) as pt_mat_met_expected_standard,
    100 * cast(coalesce(t_rwm_met_expected_standard, 0) as double) / nullif(t_rwm_eligible_pupils, 0) as pt_rwm_met_expected_standard,
    100 * cast(coalesce(t_gps_met_expected_standard, 0) as double) / nullif(t_gps_eligible_pupils, 0) as pt_gps_met_expected_standard,
    100 * cast(coalesce(t_scita_met_expected_standard, 0) as double) / nullif(t_scita_eligible_pupils, 0) as pt_scita_met_expected_standard
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
