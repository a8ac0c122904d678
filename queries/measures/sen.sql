-- name: sen
-- title: Special educational needs (any, SEN support, EHC plan) and primary need SEMH, by social care group
-- kind: measure
-- implements: "domain.md §2 (SEN: t_all_SEN, t_SEN_support, t_statement_or_EHC_plan; the primary-need share has the pupils with SEN as its denominator; provision and the rank-1 primary need from the main or single registration at the spring census; complete years). DfE: Special educational needs in England methodology (January census, primary need ranked 1)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, year_group)
-- numerator: pupils with SEN, on SEN support, with an EHC plan, with no identified SEN; pupils with SEN whose primary need is SEMH
-- denominator: pupils in the group on roll at the spring census; for SEMH, those of them with SEN
-- censuses: [spring]
-- research_question: RQ4 needs
-- indicators:
--   pt_all_SEN: {estimator: proportion, numerator: t_all_SEN, denominator: t_pupils, label: Percentage of pupils with SEN, dp: 1}
--   pt_SEN_support: {estimator: proportion, numerator: t_SEN_support, denominator: t_pupils, label: Percentage of pupils on SEN support, dp: 1}
--   pt_statement_or_EHC_plan: {estimator: proportion, numerator: t_statement_or_EHC_plan, denominator: t_pupils, label: Percentage of pupils with an EHC plan, dp: 1}
--   pt_SEMH: {estimator: proportion, numerator: t_SEMH, denominator: t_all_SEN, label: "SEMH primary need: % of pupils with SEN", dp: 1}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils on roll at the spring census}
--   t_no_identified_SEN: {counts: pupils, of: t_pupils, label: Number of pupils with no identified SEN}
--   t_all_SEN: {counts: pupils, of: t_pupils, label: Number of pupils with SEN}
--   t_SEN_support: {counts: pupils, of: t_pupils, label: Number of pupils on SEN support}
--   t_statement_or_EHC_plan: {counts: pupils, of: t_pupils, label: Number of pupils with an EHC plan or statement}
--   t_SEMH: {counts: pupils, of: t_all_SEN, label: Number of pupils with SEN whose primary need is SEMH}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, always Total (SEN provision is what this measure counts)
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils on roll at the spring census
--   t_no_identified_SEN: int64, pupils with no identified SEN
--   t_all_SEN: int64, pupils with SEN (SEN support or an EHC plan)
--   t_SEN_support: int64, pupils on SEN support
--   t_statement_or_EHC_plan: int64, pupils with an EHC plan (or statement)
--   t_SEMH: int64, pupils with SEN whose primary need is social, emotional and mental health
--   pt_all_SEN: float64, % of pupils
--   pt_SEN_support: float64, % of pupils
--   pt_statement_or_EHC_plan: float64, % of pupils
--   pt_SEMH: float64, % of pupils with SEN
--
-- A pupil whose provision is not recorded counts in t_pupils and in none of the
-- provision counts.

with

pupils as (
    select
        social_care_group,
        phase_type_grouping,
        sex,
        year_group,
        case when sen_provision = 'No identified SEN' then 1 else 0 end as no_sen,
        case when sen_provision = 'SEN support' then 1 else 0 end as sen_support,
        case when sen_provision = 'EHC plan' then 1 else 0 end as ehc_plan,
        case
            when sen_provision in ('SEN support', 'EHC plan') and primary_need = 'SEMH' then 1
            else 0
        end as semh
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
        year_group,
        count(*) as t_pupils,
        sum(no_sen) as t_no_identified_sen,
        sum(sen_support + ehc_plan) as t_all_sen,
        sum(sen_support) as t_sen_support,
        sum(ehc_plan) as t_statement_or_ehc_plan,
        sum(semh) as t_semh
    from pupils
    group by social_care_group, phase_type_grouping, sex, year_group
),

final as (
    -- cohort_pupils never leaves a characteristic null, so a null below means Total.
    select
        social_care_group,
        coalesce(phase_type_grouping, 'Total') as phase_type_grouping,
        coalesce(sex, 'Total') as sex,
        coalesce(year_group, 'Total') as year_group,
        sum(t_pupils) as t_pupils,
        sum(t_no_identified_sen) as t_no_identified_sen,
        sum(t_all_sen) as t_all_sen,
        sum(t_sen_support) as t_sen_support,
        sum(t_statement_or_ehc_plan) as t_statement_or_ehc_plan,
        sum(t_semh) as t_semh
    from cells
    group by grouping sets (
        (social_care_group),
        (social_care_group, phase_type_grouping),
        (social_care_group, sex),
        (social_care_group, year_group)
    )
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    phase_type_grouping,
    sex,
    'Total' as sen_provision,
    year_group,
    t_pupils,
    t_no_identified_sen as t_no_identified_SEN,
    t_all_sen as t_all_SEN,
    t_sen_support as t_SEN_support,
    t_statement_or_ehc_plan as t_statement_or_EHC_plan,
    t_semh as t_SEMH,
    100 * cast(t_all_sen as double) / t_pupils as pt_all_SEN,
    100 * cast(t_sen_support as double) / t_pupils as pt_SEN_support,
    100 * cast(t_statement_or_ehc_plan as double) / t_pupils as pt_statement_or_EHC_plan,
    100 * cast(t_semh as double) / nullif(t_all_sen, 0) as pt_SEMH
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
