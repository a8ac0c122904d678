-- name: absence
-- title: Overall, authorised, unauthorised, persistent and severe absence by social care group
-- kind: measure
-- implements: "domain.md §2 (absence measures and EES column names) and §5 (six half terms, compulsory school age, ratio of sums)"
-- grain: one row per academic year and social care group
-- numerator: absence sessions (overall, authorised, unauthorised); pupils absent 10% or more, 50% or more of their possible sessions
-- denominator: possible sessions; pupils of compulsory school age with possible sessions
-- not_collected: [201920]
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   compulsory_birth_from: date, earliest birth date of a pupil aged 5 to 15 at 31 August before the year
--   compulsory_birth_to: date, latest such birth date
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   t_pupils: int64, pupils of compulsory school age with possible sessions
--   t_sess_possible: int64, possible sessions
--   t_sess_overall: int64, absence sessions
--   t_sess_authorised: int64, authorised absence sessions
--   t_sess_unauthorised: int64, unauthorised absence sessions
--   t_pupils_pa_10_exact: int64, pupils absent for 10% or more of their possible sessions
--   t_pupils_pa_50_exact: int64, pupils absent for 50% or more of their possible sessions
--   sum_overall_squared: float64, sum over pupils of absence sessions squared
--   sum_authorised_squared: float64, sum over pupils of authorised sessions squared
--   sum_unauthorised_squared: float64, sum over pupils of unauthorised sessions squared
--   sum_possible_squared: float64, sum over pupils of possible sessions squared
--   sum_overall_possible: float64, sum over pupils of absence times possible sessions
--   sum_authorised_possible: float64, sum over pupils of authorised times possible sessions
--   sum_unauthorised_possible: float64, sum over pupils of unauthorised times possible sessions

with

terms as (
    select pupil_id, sessions_possible, sessions_authorised, sessions_unauthorised
    from pupil_terms
    where academic_year = $academic_year
      and sessions_possible is not null
      -- Compulsory school age: 5 to 15 at 31 August before the year (domain.md §5).
      and birth_month between $compulsory_birth_from and $compulsory_birth_to
),

pupil_totals as (
    -- A pupil's absence sums over every enrolment and term of the year: a ratio of
    -- sums, not a mean of ratios (domain.md §5).
    select
        pupil_id,
        sum(sessions_possible) as sessions_possible,
        sum(coalesce(sessions_authorised, 0)) as sessions_authorised,
        sum(coalesce(sessions_unauthorised, 0)) as sessions_unauthorised
    from terms
    group by pupil_id
),

pupil_absence as (
    select
        pupil_id,
        sessions_possible,
        sessions_authorised,
        sessions_unauthorised,
        sessions_authorised + sessions_unauthorised as sessions_overall,
        -- Exact thresholds in whole numbers: absence / possible >= 10% and >= 50%.
        case when 10 * (sessions_authorised + sessions_unauthorised) >= sessions_possible then 1 else 0 end as persistent,
        case when 2 * (sessions_authorised + sessions_unauthorised) >= sessions_possible then 1 else 0 end as severe
    from pupil_totals
    where sessions_possible > 0
),

members as (
    select distinct social_care_group, pupil_id
    from cohort
    where academic_year = $academic_year
      and pupil_id is not null
),

final as (
    select
        members.social_care_group,
        count(*) as t_pupils,
        sum(pupil_absence.sessions_possible) as t_sess_possible,
        sum(pupil_absence.sessions_overall) as t_sess_overall,
        sum(pupil_absence.sessions_authorised) as t_sess_authorised,
        sum(pupil_absence.sessions_unauthorised) as t_sess_unauthorised,
        sum(pupil_absence.persistent) as t_pupils_pa_10_exact,
        sum(pupil_absence.severe) as t_pupils_pa_50_exact,
        sum(cast(pupil_absence.sessions_overall as double) * pupil_absence.sessions_overall) as sum_overall_squared,
        sum(cast(pupil_absence.sessions_authorised as double) * pupil_absence.sessions_authorised) as sum_authorised_squared,
        sum(cast(pupil_absence.sessions_unauthorised as double) * pupil_absence.sessions_unauthorised) as sum_unauthorised_squared,
        sum(cast(pupil_absence.sessions_possible as double) * pupil_absence.sessions_possible) as sum_possible_squared,
        sum(cast(pupil_absence.sessions_overall as double) * pupil_absence.sessions_possible) as sum_overall_possible,
        sum(cast(pupil_absence.sessions_authorised as double) * pupil_absence.sessions_possible) as sum_authorised_possible,
        sum(cast(pupil_absence.sessions_unauthorised as double) * pupil_absence.sessions_possible) as sum_unauthorised_possible
    from members
    inner join pupil_absence on members.pupil_id = pupil_absence.pupil_id
    group by members.social_care_group
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    t_pupils,
    t_sess_possible,
    t_sess_overall,
    t_sess_authorised,
    t_sess_unauthorised,
    t_pupils_pa_10_exact,
    t_pupils_pa_50_exact,
    sum_overall_squared,
    sum_authorised_squared,
    sum_unauthorised_squared,
    sum_possible_squared,
    sum_overall_possible,
    sum_authorised_possible,
    sum_unauthorised_possible
from final
order by social_care_group
