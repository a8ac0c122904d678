-- name: absence
-- title: Overall, authorised, unauthorised, persistent and severe absence by social care group
-- kind: measure
-- implements: "domain.md §2 (absence measures and EES column names; complete years; dual registration) and §5 (six half terms from the spring, summer and autumn censuses, compulsory school age, ratio of sums; D is not a possible session). DfE: Pupil absence statistics methodology (six half terms; rates over possible sessions; persistent and severe absence on the pupil's own sessions)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: absence sessions (overall, authorised, unauthorised); pupils absent 10% or more, 50% or more of their possible sessions
-- denominator: possible sessions; pupils of compulsory school age with possible sessions
-- not_collected: [201920]
-- censuses: [spring, summer, autumn]
-- research_question: RQ1 attendance
-- did_years: {pre_until: 201819, post_from: 202122}
-- indicators:
--   pt_overall: {estimator: ratio, numerator: t_sess_overall, denominator: t_sess_possible, numerator_squared: sum_overall_squared, denominator_squared: sum_possible_squared, cross: sum_overall_possible, pupils: t_pupils, pupil_level: [sessions_overall, sessions_possible], confirmatory: true, label: Overall absence rate, dp: 1, grouping: Absence}
--   pt_authorised: {estimator: ratio, numerator: t_sess_authorised, denominator: t_sess_possible, numerator_squared: sum_authorised_squared, denominator_squared: sum_possible_squared, cross: sum_authorised_possible, pupils: t_pupils, pupil_level: [sessions_authorised, sessions_possible], label: Authorised absence rate, dp: 1, grouping: Absence}
--   pt_unauthorised: {estimator: ratio, numerator: t_sess_unauthorised, denominator: t_sess_possible, numerator_squared: sum_unauthorised_squared, denominator_squared: sum_possible_squared, cross: sum_unauthorised_possible, pupils: t_pupils, pupil_level: [sessions_unauthorised, sessions_possible], label: Unauthorised absence rate, dp: 1, grouping: Absence}
--   pt_pupils_pa_10_exact: {estimator: proportion, numerator: t_pupils_pa_10_exact, denominator: t_pupils, pupil_level: [persistent, absence_pupil], confirmatory: true, label: Percentage of pupils who are persistent absentees, dp: 1, grouping: Persistent and severe absence}
--   pt_pupils_pa_50_exact: {estimator: proportion, numerator: t_pupils_pa_50_exact, denominator: t_pupils, pupil_level: [severe, absence_pupil], label: Percentage of pupils who are severe absentees, dp: 1, grouping: Persistent and severe absence}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils, grouping: Absence}
--   t_sess_possible: {counts: sessions, of: t_pupils, label: Number of possible sessions, grouping: Absence}
--   t_sess_overall: {counts: sessions, of: t_pupils, label: Number of overall absence sessions, grouping: Absence}
--   t_sess_authorised: {counts: sessions, of: t_pupils, label: Number of authorised absence sessions, grouping: Absence}
--   t_sess_unauthorised: {counts: sessions, of: t_pupils, label: Number of unauthorised absence sessions, grouping: Absence}
--   t_pupils_pa_10_exact: {counts: pupils, of: t_pupils, label: Number of persistent absentees, grouping: Persistent and severe absence}
--   t_pupils_pa_50_exact: {counts: pupils, of: t_pupils, label: Number of severe absentees, grouping: Persistent and severe absence}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils of compulsory school age with possible sessions
--   t_sess_possible: int64, possible sessions
--   t_sess_overall: int64, absence sessions
--   t_sess_authorised: int64, authorised absence sessions
--   t_sess_unauthorised: int64, unauthorised absence sessions
--   t_pupils_pa_10_exact: int64, pupils absent for 10% or more of their possible sessions
--   t_pupils_pa_50_exact: int64, pupils absent for 50% or more of their possible sessions
--   pt_overall: float64, overall absence rate (% of possible sessions)
--   pt_authorised: float64, authorised absence rate
--   pt_unauthorised: float64, unauthorised absence rate
--   pt_pupils_pa_10_exact: float64, persistent absentees (% of pupils)
--   pt_pupils_pa_50_exact: float64, severe absentees (% of pupils)
--   sum_overall_squared: float64, sum over pupils of absence sessions squared
--   sum_authorised_squared: float64, sum over pupils of authorised sessions squared
--   sum_unauthorised_squared: float64, sum over pupils of unauthorised sessions squared
--   sum_possible_squared: float64, sum over pupils of possible sessions squared
--   sum_overall_possible: float64, sum over pupils of absence times possible sessions
--   sum_authorised_possible: float64, sum over pupils of authorised times possible sessions
--   sum_unauthorised_possible: float64, sum over pupils of unauthorised times possible sessions

with

pupils as (
    -- Each pupil's sums over every enrolment and term of the year, while of compulsory
    -- school age, come from pupil_years (through cohort_pupils): a ratio of sums, not a
    -- mean of ratios (domain.md §5).
    select
        social_care_group,
        phase_type_grouping,
        sex,
        sen_provision,
        year_group,
        sessions_possible,
        sessions_authorised,
        sessions_unauthorised,
        sessions_authorised + sessions_unauthorised as sessions_overall,
        -- Exact thresholds in whole numbers: absence / possible >= 10% and >= 50%.
        case when 10 * (sessions_authorised + sessions_unauthorised) >= sessions_possible then 1 else 0 end as persistent,
        case when 2 * (sessions_authorised + sessions_unauthorised) >= sessions_possible then 1 else 0 end as severe
    from cohort_pupils
    where academic_year = $academic_year
      and sessions_possible > 0
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
        sum(sessions_possible) as t_sess_possible,
        sum(sessions_overall) as t_sess_overall,
        sum(sessions_authorised) as t_sess_authorised,
        sum(sessions_unauthorised) as t_sess_unauthorised,
        sum(persistent) as t_pupils_pa_10_exact,
        sum(severe) as t_pupils_pa_50_exact,
        sum(cast(sessions_overall as double) * sessions_overall) as sum_overall_squared,
        sum(cast(sessions_authorised as double) * sessions_authorised) as sum_authorised_squared,
        sum(cast(sessions_unauthorised as double) * sessions_unauthorised) as sum_unauthorised_squared,
        sum(cast(sessions_possible as double) * sessions_possible) as sum_possible_squared,
        sum(cast(sessions_overall as double) * sessions_possible) as sum_overall_possible,
        sum(cast(sessions_authorised as double) * sessions_possible) as sum_authorised_possible,
        sum(cast(sessions_unauthorised as double) * sessions_possible) as sum_unauthorised_possible
    from pupils
    group by social_care_group, phase_type_grouping, sex, sen_provision, year_group
),

final as (
    -- cohort_pupils never leaves a characteristic null, so a null below means Total.
    select
        social_care_group,
        coalesce(phase_type_grouping, 'Total') as phase_type_grouping,
        coalesce(sex, 'Total') as sex,
        coalesce(sen_provision, 'Total') as sen_provision,
        coalesce(year_group, 'Total') as year_group,
        sum(t_pupils) as t_pupils,
        sum(t_sess_possible) as t_sess_possible,
        sum(t_sess_overall) as t_sess_overall,
        sum(t_sess_authorised) as t_sess_authorised,
        sum(t_sess_unauthorised) as t_sess_unauthorised,
        sum(t_pupils_pa_10_exact) as t_pupils_pa_10_exact,
        sum(t_pupils_pa_50_exact) as t_pupils_pa_50_exact,
        sum(sum_overall_squared) as sum_overall_squared,
        sum(sum_authorised_squared) as sum_authorised_squared,
        sum(sum_unauthorised_squared) as sum_unauthorised_squared,
        sum(sum_possible_squared) as sum_possible_squared,
        sum(sum_overall_possible) as sum_overall_possible,
        sum(sum_authorised_possible) as sum_authorised_possible,
        sum(sum_unauthorised_possible) as sum_unauthorised_possible
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
    t_sess_possible,
    t_sess_overall,
    t_sess_authorised,
    t_sess_unauthorised,
    t_pupils_pa_10_exact,
    t_pupils_pa_50_exact,
    100 * cast(t_sess_overall as double) / t_sess_possible as pt_overall,
    100 * cast(t_sess_authorised as double) / t_sess_possible as pt_authorised,
    100 * cast(t_sess_unauthorised as double) / t_sess_possible as pt_unauthorised,
    100 * cast(t_pupils_pa_10_exact as double) / t_pupils as pt_pupils_pa_10_exact,
    100 * cast(t_pupils_pa_50_exact as double) / t_pupils as pt_pupils_pa_50_exact,
    sum_overall_squared,
    sum_authorised_squared,
    sum_unauthorised_squared,
    sum_possible_squared,
    sum_overall_possible,
    sum_authorised_possible,
    sum_unauthorised_possible
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
