-- name: exclusions
-- title: Pupils with one or more suspensions and with a permanent exclusion, by social care group
-- kind: measure
-- implements: "domain.md §2 (permanent exclusion and suspension: pupils ÷ t_pupils, EES column names; exclusions over the whole year) and §5 (spring census denominator; FIXD and SUSP de-duplicated). DfE: Suspensions and permanent exclusions in England methodology and the NCER Nexus exclusions methodology (all exclusions reported across the full academic year; rates over the pupils on roll at the January census)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: the group's pupils with at least one suspension (FIXD, SUSP) or a permanent exclusion (PERM) starting in the academic year, whether or not on the spring census; suspensions
-- denominator: pupils in the group on roll at the spring census
-- estimator: ratio (the numerator counts pupils outside the denominator, excluded in the autumn and off roll by January or joined after January), not a proportion
-- censuses: [summer, autumn, next spring]
-- research_question: RQ2 exclusions
-- did_years: {pre_until: 201819, post_from: 202122}
-- indicators:
--   pt_perm_excl: {estimator: ratio, numerator: t_perm_excl, denominator: t_pupils, cross: t_perm_excl_on_roll, binary: true, pupil_level: [permanently_excluded, on_spring_roll], confirmatory: true, label: Permanent exclusion rate, dp: 2}
--   pt_one_plus_sus: {estimator: ratio, numerator: t_one_plus_sus, denominator: t_pupils, cross: t_one_plus_sus_on_roll, binary: true, pupil_level: [suspended, on_spring_roll], confirmatory: true, label: Percentage of pupils with one or more suspensions, dp: 2}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils on roll at the spring census}
--   t_perm_excl: {counts: pupils, of: t_pupils, label: Number of pupils permanently excluded}
--   t_one_plus_sus: {counts: pupils, of: t_pupils, label: Number of pupils with one or more suspensions}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils in the group on roll at the spring census (the rates' denominator)
--   t_perm_excl: int64, the group's pupils permanently excluded in the year, on the spring census or not
--   t_one_plus_sus: int64, the group's pupils with one or more suspensions in the year, on the spring census or not
--   t_suspensions: int64, suspensions in the year
--   pt_perm_excl: float64, permanently excluded pupils per 100 pupils on the spring census roll
--   pt_one_plus_sus: float64, pupils with one or more suspensions per 100 pupils on the spring census roll
--   sum_suspensions_squared: float64, sum over pupils of their suspensions squared
--   t_perm_excl_on_roll: int64, of t_perm_excl, those on the spring census roll (the ratio estimator's sum of numerator times denominator)
--   t_one_plus_sus_on_roll: int64, of t_one_plus_sus, those on the spring census roll
--
-- Exclusions belong to the academic year of their start date (extract sets
-- academic_year), whichever census carried them; FIXD is the code suspensions had
-- before SUSP (domain.md §5). A pupil counts in the numerators of every group they are
-- in that year even when not on that year's spring census (excluded in the autumn and
-- off roll by January, or joined after January); only t_pupils, the rates'
-- denominator, is the spring census roll (domain.md §2, exclusions over the whole
-- year). So a rate is a ratio of two counts, not a share of the denominator, and the
-- year needs the summer and autumn censuses of the year and the next spring census
-- (the terms two in arrears).

with

excluded as (
    -- Each person's exclusions of the year (pupil_exclusions.sql).
    select pupil_id, permanent, suspensions
    from pupil_exclusions
    where academic_year = $academic_year
),

members as (
    -- Every pupil of each group: the denominator is those on roll at the spring
    -- (January) census day (domain.md §5: exclusion and suspension rates).
    select social_care_group, pupil_id, on_spring_census, phase_type_grouping, sex, sen_provision, year_group
    from cohort_pupils
    where academic_year = $academic_year
),

pupils as (
    -- cohort_pupils never leaves a characteristic null, so a null below means Total.
    select
        members.social_care_group,
        members.phase_type_grouping,
        members.sex,
        members.sen_provision,
        members.year_group,
        case when members.on_spring_census then 1 else 0 end as on_roll,
        coalesce(excluded.permanent, 0) as permanent,
        case when coalesce(excluded.suspensions, 0) > 0 then 1 else 0 end as suspended,
        coalesce(excluded.suspensions, 0) as suspensions
    -- The excluded pupils, the smaller side, first: DataFusion builds a hash join's table
    -- from its left input.
    from excluded
    right join members on excluded.pupil_id = members.pupil_id
    where members.on_spring_census or excluded.pupil_id is not null
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
        sum(on_roll) as t_pupils,
        sum(permanent) as t_perm_excl,
        sum(suspended) as t_one_plus_sus,
        sum(suspensions) as t_suspensions,
        sum(cast(suspensions as double) * suspensions) as sum_suspensions_squared,
        sum(permanent * on_roll) as t_perm_excl_on_roll,
        sum(suspended * on_roll) as t_one_plus_sus_on_roll
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
        sum(t_perm_excl) as t_perm_excl,
        sum(t_one_plus_sus) as t_one_plus_sus,
        sum(t_suspensions) as t_suspensions,
        sum(sum_suspensions_squared) as sum_suspensions_squared,
        sum(t_perm_excl_on_roll) as t_perm_excl_on_roll,
        sum(t_one_plus_sus_on_roll) as t_one_plus_sus_on_roll
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
    t_perm_excl,
    t_one_plus_sus,
    t_suspensions,
    -- No pupil on the January roll: no rate (z), though the numerator may not be 0.
    100 * cast(t_perm_excl as double) / nullif(t_pupils, 0) as pt_perm_excl,
    100 * cast(t_one_plus_sus as double) / nullif(t_pupils, 0) as pt_one_plus_sus,
    sum_suspensions_squared,
    t_perm_excl_on_roll,
    t_one_plus_sus_on_roll
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
