-- name: fsm
-- title: Free school meal eligibility, by social care group
-- kind: measure
-- implements: "domain.md §2 (FSM: t_FSM_eligible, pt_FSM_eligible; eligibility on the January census day: a period starting on or before it and ending after it, or open; complete years). DfE: Schools, pupils and their characteristics methodology (FSM eligibility at the January census)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: pupils eligible for free school meals on the spring census day
-- denominator: pupils in the group on roll at the spring census
-- censuses: [spring]
-- research_question: RQ4 needs
-- indicators:
--   pt_FSM_eligible: {estimator: proportion, numerator: t_FSM_eligible, denominator: t_pupils, label: Percentage of pupils eligible for free school meals, dp: 1}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils on roll at the spring census}
--   t_FSM_eligible: {counts: pupils, of: t_pupils, label: Number of pupils eligible for free school meals}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils on roll at the spring census
--   t_FSM_eligible: int64, pupils eligible for free school meals
--   pt_FSM_eligible: float64, % of pupils
--
-- DfE does not report FSM for children looked after, whose meals the LA provides, so
-- read their rows with care. cwsw publishes them all the same: leaving them out would
-- not hide them (CIN at 31 March less CINO and CPPO gives CLA), and the evaluation
-- compares every group.

with

pupils as (
    select
        social_care_group,
        phase_type_grouping,
        sex,
        sen_provision,
        year_group,
        case when fsm_eligible then 1 else 0 end as eligible
    from cohort_pupils
    where academic_year = $academic_year
      and on_spring_census
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
        sum(eligible) as t_fsm_eligible
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
        sum(t_fsm_eligible) as t_fsm_eligible
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
    t_fsm_eligible as t_FSM_eligible,
    100 * cast(t_fsm_eligible as double) / t_pupils as pt_FSM_eligible
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
