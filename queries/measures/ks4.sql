-- name: ks4
-- title: Key stage 4 Attainment 8, Progress 8, English and maths grade 4+ and 5+, by social care group
-- kind: measure
-- implements: "domain.md §2 (KS4: avg_att8, avg_p8score with its interval, pt_l2basics_94 / _95, pt_ebacc_e_ptq_ee, avg_ebaccaps; Attainment 8 and EBacc APS averaged over every pupil at the end of KS4, a pupil with no qualifying entries scoring 0; P8 is x in 2019/20, 2020/21 and 2024/25). DfE Secondary accountability measures guide"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: Attainment 8, EBacc APS and Progress 8 sums; pupils with English and maths at grade 4 or above, at grade 5 or above; pupils entering the EBacc
-- denominator: pupils in the group at the end of KS4 that year (a KS4 result row, with or without entries); for Progress 8, those with a score
-- not_collected_columns:
--   t_p8_pupils: [201920, 202021, 202425]
--   sum_p8score: [201920, 202021, 202425]
--   sum_p8score_squared: [201920, 202021, 202425]
--   avg_p8score: [201920, 202021, 202425]
-- research_question: RQ3 attainment
-- did_years: {pre_until: 201819, post_from: 202223}
-- indicators:
--   avg_att8: {estimator: mean, numerator: sum_att8, denominator: t_pupils, numerator_squared: sum_att8_squared, pupil_level: [attainment8, ks4_pupil], label: Average Attainment 8 score, dp: 1}
--   avg_p8score: {estimator: progress8, numerator: sum_p8score, denominator: t_p8_pupils, pupil_level: [p8score, p8_pupil], label: Average Progress 8 score, dp: 2}
--   pt_l2basics_94: {estimator: proportion, numerator: t_l2basics_94, denominator: t_pupils, pupil_level: [l2basics_94, ks4_pupil], label: "English and maths at grade 4 or above: % of pupils", dp: 1}
--   pt_l2basics_95: {estimator: proportion, numerator: t_l2basics_95, denominator: t_pupils, label: "English and maths at grade 5 or above: % of pupils", dp: 1}
--   avg_ebaccaps: {estimator: mean, numerator: sum_ebaccaps, denominator: t_pupils, numerator_squared: sum_ebaccaps_squared, label: Average EBacc point score, dp: 2}
--   pt_ebacc_e_ptq_ee: {estimator: proportion, numerator: t_ebacc_e_ptq_ee, denominator: t_pupils, label: Percentage of pupils entering the EBacc, dp: 1}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils at the end of key stage 4}
--   t_p8_pupils: {counts: pupils, of: t_pupils, label: Number of pupils with a Progress 8 score}
--   t_l2basics_94: {counts: pupils, of: t_pupils, label: Number of pupils with English and maths at grade 4 or above}
--   t_l2basics_95: {counts: pupils, of: t_pupils, label: Number of pupils with English and maths at grade 5 or above}
--   t_ebacc_e_ptq_ee: {counts: pupils, of: t_pupils, label: Number of pupils entering the EBacc}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils at the end of KS4
--   t_att8_pupils: int64, pupils with an Attainment 8 score (some qualifying entry)
--   sum_att8: float64, sum of Attainment 8 scores, 0 for a pupil with no qualifying entries
--   sum_att8_squared: float64, sum of Attainment 8 scores squared
--   avg_att8: float64, average Attainment 8 score over every pupil at the end of KS4
--   t_p8_pupils: int64, pupils with a Progress 8 score
--   sum_p8score: float64, sum of Progress 8 scores
--   sum_p8score_squared: float64, sum of Progress 8 scores squared
--   avg_p8score: float64, average Progress 8 score
--   t_l2basics_94: int64, pupils with English and maths at grade 4 or above
--   t_l2basics_95: int64, pupils with English and maths at grade 5 or above
--   pt_l2basics_94: float64, % of pupils at the end of KS4
--   pt_l2basics_95: float64, % of pupils at the end of KS4
--   t_ebaccaps_pupils: int64, pupils with an EBacc average point score
--   sum_ebaccaps: float64, sum of EBacc average point scores, 0 for a pupil with none
--   sum_ebaccaps_squared: float64, sum of EBacc average point scores squared
--   avg_ebaccaps: float64, average EBacc average point score over every pupil at the end of KS4
--   t_ebacc_e_ptq_ee: int64, pupils entering every EBacc pillar (null count in a year whose file has no EBACC_ENTRY)
--   pt_ebacc_e_ptq_ee: float64, % of pupils at the end of KS4 entering the EBacc

with

results as (
    -- One result per person (ks4_results.sql, which chooses it).
    select pupil_id, attainment8, progress8, basics_4, basics_5, ebacc_aps, ebacc_entered
    from ks4_results
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
        results.attainment8,
        results.progress8,
        results.basics_4,
        results.basics_5,
        results.ebacc_aps,
        results.ebacc_entered
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
        -- No qualifying entries scores 0, in the sums and the count they average over.
        count(attainment8) as t_att8_pupils,
        sum(coalesce(attainment8, 0)) as sum_att8,
        sum(coalesce(attainment8 * attainment8, 0)) as sum_att8_squared,
        count(progress8) as t_p8_pupils,
        sum(progress8) as sum_p8score,
        sum(progress8 * progress8) as sum_p8score_squared,
        sum(basics_4) as t_l2basics_94,
        sum(basics_5) as t_l2basics_95,
        count(ebacc_aps) as t_ebaccaps_pupils,
        sum(coalesce(ebacc_aps, 0)) as sum_ebaccaps,
        sum(coalesce(ebacc_aps * ebacc_aps, 0)) as sum_ebaccaps_squared,
        sum(ebacc_entered) as t_ebacc_e_ptq_ee
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
        sum(t_att8_pupils) as t_att8_pupils,
        sum(sum_att8) as sum_att8,
        sum(sum_att8_squared) as sum_att8_squared,
        sum(t_p8_pupils) as t_p8_pupils,
        sum(sum_p8score) as sum_p8score,
        sum(sum_p8score_squared) as sum_p8score_squared,
        sum(t_l2basics_94) as t_l2basics_94,
        sum(t_l2basics_95) as t_l2basics_95,
        sum(t_ebaccaps_pupils) as t_ebaccaps_pupils,
        sum(sum_ebaccaps) as sum_ebaccaps,
        sum(sum_ebaccaps_squared) as sum_ebaccaps_squared,
        sum(t_ebacc_e_ptq_ee) as t_ebacc_e_ptq_ee
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
    t_att8_pupils,
    sum_att8,
    sum_att8_squared,
    sum_att8 / nullif(t_pupils, 0) as avg_att8,
    t_p8_pupils,
    sum_p8score,
    sum_p8score_squared,
    sum_p8score / nullif(t_p8_pupils, 0) as avg_p8score,
    t_l2basics_94,
    t_l2basics_95,
    100 * cast(t_l2basics_94 as double) / t_pupils as pt_l2basics_94,
    100 * cast(t_l2basics_95 as double) / t_pupils as pt_l2basics_95,
    t_ebaccaps_pupils,
    sum_ebaccaps,
    sum_ebaccaps_squared,
    sum_ebaccaps / nullif(t_pupils, 0) as avg_ebaccaps,
    t_ebacc_e_ptq_ee,
    100 * cast(t_ebacc_e_ptq_ee as double) / nullif(t_pupils, 0) as pt_ebacc_e_ptq_ee
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
