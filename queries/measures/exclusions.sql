-- name: exclusions
-- title: Pupils with one or more suspensions and with a permanent exclusion, by social care group
-- kind: measure
-- implements: "domain.md §2 (permanent exclusion and suspension: pupils ÷ t_pupils, EES column names) and §5 (spring census denominator; FIXD and SUSP de-duplicated)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: pupils with at least one suspension (FIXD, SUSP); pupils with a permanent exclusion (PERM); suspensions
-- denominator: pupils in the group on roll at the spring census
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils in the group on roll at the spring census
--   t_perm_excl: int64, pupils permanently excluded in the year
--   t_one_plus_sus: int64, pupils with one or more suspensions in the year
--   t_suspensions: int64, suspensions in the year
--   pt_perm_excl: float64, permanent exclusions as % of pupils
--   pt_one_plus_sus: float64, pupils with one or more suspensions as % of pupils
--   sum_suspensions_squared: float64, sum over pupils of their suspensions squared
--
-- Exclusions belong to the academic year of their start date (extract sets
-- academic_year); FIXD is the code suspensions had before SUSP (domain.md §5).

with

pupil_exclusions as (
    select
        pupil_id,
        max(case when category = 'PERM' then 1 else 0 end) as permanent,
        sum(case when category in ('FIXD', 'SUSP') then 1 else 0 end) as suspensions
    from exclusions
    where academic_year = $academic_year
    group by pupil_id
),

denominator as (
    -- The denominator is the pupils on roll at the spring (January) census day
    -- (domain.md §5: exclusion and suspension rates).
    select social_care_group, pupil_id, phase_type_grouping, sex, sen_provision, year_group
    from cohort_pupils
    where academic_year = $academic_year
      and on_spring_census
),

pupils as (
    -- cohort_pupils never leaves a characteristic null, so a null below means Total.
    select
        denominator.social_care_group,
        denominator.phase_type_grouping,
        denominator.sex,
        denominator.sen_provision,
        denominator.year_group,
        coalesce(pupil_exclusions.permanent, 0) as permanent,
        case when coalesce(pupil_exclusions.suspensions, 0) > 0 then 1 else 0 end as suspended,
        coalesce(pupil_exclusions.suspensions, 0) as suspensions
    -- The excluded pupils, the smaller side, first: DataFusion builds a hash join's table
    -- from its left input.
    from pupil_exclusions
    right join denominator on pupil_exclusions.pupil_id = denominator.pupil_id
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
        sum(permanent) as t_perm_excl,
        sum(suspended) as t_one_plus_sus,
        sum(suspensions) as t_suspensions,
        sum(cast(suspensions as double) * suspensions) as sum_suspensions_squared
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
        sum(sum_suspensions_squared) as sum_suspensions_squared
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
    100 * cast(t_perm_excl as double) / t_pupils as pt_perm_excl,
    100 * cast(t_one_plus_sus as double) / t_pupils as pt_one_plus_sus,
    sum_suspensions_squared
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
