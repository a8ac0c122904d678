-- name: ehe
-- title: Moves into elective home education, by social care group
-- kind: measure
-- implements: "domain.md §2 (measures by group) and §5 (elective home education register)"
-- grain: one row per academic year, social care group and breakdown (Total, or one of phase_type_grouping, sex, sen_provision, year_group)
-- numerator: pupils who began elective home education during the academic year
-- denominator: pupils in the group on a school census in the year
-- research_question: RQ5 visibility
-- indicators:
--   pt_ehe_moves: {estimator: proportion, numerator: t_ehe_moves, denominator: t_pupils, label: Percentage who began elective home education, dp: 1}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils on a school census in the year}
--   t_ehe_moves: {counts: pupils, of: t_pupils, label: Number of pupils who began elective home education}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   year_start: date, 1 August starting the academic year (the year exclusions and census terms use)
--   year_end: date, 31 July ending it
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total or the school's phase and type (pupil_years)
--   sex: string, Total, Female, Male or Unknown
--   sen_provision: string, Total, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Total, Reception, Year 1 … or Unknown
--   t_pupils: int64, pupils in the group on a school census in the year
--   t_ehe_moves: int64, pupils who began elective home education in the year
--   pt_ehe_moves: float64, % of pupils

with

aliases as (
    -- Pupil ids that are not their person's key (persons.sql).
    select id, person_id
    from person_ids
    where kind = 'pupil'
      and id <> person_id
),

moves as (
    -- Per person: a spell under a pupil's former UPN is the person's (persons.sql).
    select distinct coalesce(aliases.person_id, ehe_episodes.pupil_id) as pupil_id
    from aliases
    right join ehe_episodes on aliases.id = ehe_episodes.pupil_id
    where ehe_episodes.start_date between $year_start and $year_end
),

on_roll as (
    -- Pupils on roll at some point of the year (a pupil_years record).
    select social_care_group, pupil_id, phase_type_grouping, sex, sen_provision, year_group
    from cohort_pupils
    where academic_year = $academic_year
      and on_census
),

pupils as (
    select
        on_roll.social_care_group,
        on_roll.phase_type_grouping,
        on_roll.sex,
        on_roll.sen_provision,
        on_roll.year_group,
        case when moves.pupil_id is null then 0 else 1 end as moved
    -- The moves, the smaller side, first: DataFusion builds a hash join's table from its
    -- left input.
    from moves
    right join on_roll on moves.pupil_id = on_roll.pupil_id
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
        sum(moved) as t_ehe_moves
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
        sum(t_ehe_moves) as t_ehe_moves
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
    t_ehe_moves,
    100 * cast(t_ehe_moves as double) / t_pupils as pt_ehe_moves
from final
order by social_care_group, phase_type_grouping, sex, sen_provision, year_group
