-- name: pupil_outcomes
-- title: Each pupil's outcomes of the year with the groups it is in, for the stats stage's pupil-level fits
-- kind: pupil
-- table: pupil_outcomes
-- implements: "domain.md §6 (the change in each gap since the role began, estimated at the pupil level with pupil-clustered standard errors) and §2 (each outcome's numerator and denominator, as its measure counts them)"
-- grain: one row per academic year, social care group (every group but the look-back peers) and pupil
-- numerator: each outcome's per-pupil numerator (absence sessions; 1 if persistently absent, suspended, meeting the standard; a score)
-- denominator: each outcome's per-pupil denominator (possible sessions; 1 for a pupil the rate counts; 0 when it does not)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   never_cin_group: string, the label of the look-back peers, left out (All pupils comparison holds them)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   pupil_id: string, the person's key (persons.sql), one cluster across years
--   sessions_possible: int64, possible sessions while of compulsory school age (absence), 0 with none
--   sessions_overall: int64, absence sessions
--   sessions_authorised: int64, authorised absence sessions
--   sessions_unauthorised: int64, unauthorised absence sessions
--   absence_pupil: int32, 1 for a pupil the absence measure counts (possible sessions), else 0
--   persistent: int32, 1 if absent for 10% or more of its possible sessions
--   severe: int32, 1 if absent for 50% or more
--   on_spring_roll: int32, 1 if on roll at the spring census (the exclusion rates' denominator)
--   suspended: int32, 1 with one or more suspensions in the year, on the spring roll or not
--   permanently_excluded: int32, 1 if permanently excluded in the year, on the spring roll or not
--   ks2_rwm_eligible: int32, 1 if eligible in reading, writing and maths at KS2 this year
--   ks2_rwm_met: int32, 1 if at the expected standard in all three
--   ks4_pupil: int32, 1 at the end of KS4 this year
--   attainment8: float64, Attainment 8 score, 0 for a KS4 pupil with no qualifying entries (and for every other pupil)
--   l2basics_94: int32, 1 with English and maths at grade 4 or above
--   p8_pupil: int32, 1 with a Progress 8 score
--   p8score: float64, Progress 8 score, 0 without one
--
-- Personal data: the run writes it into the warehouse folder (`pupil_outcomes/`), which
-- stays with the LA, never into measures or a submission. Each column is what its
-- measure counts for the pupil (absence.sql, exclusions.sql, ks2.sql, ks4.sql), from the
-- same tables (cohort_pupils, pupil_exclusions, ks2_results, ks4_results), so a group's
-- sums over these rows are its measure's Total cells; the stats stage checks that they
-- are before it fits anything.

with

members as (
    select
        social_care_group,
        pupil_id,
        on_spring_census,
        coalesce(sessions_possible, 0) as sessions_possible,
        coalesce(sessions_authorised, 0) as sessions_authorised,
        coalesce(sessions_unauthorised, 0) as sessions_unauthorised
    from cohort_pupils
    where academic_year = $academic_year
      and social_care_group <> $never_cin_group
),

excluded as (
    select pupil_id, permanent, suspensions
    from pupil_exclusions
    where academic_year = $academic_year
),

ks2 as (
    -- Eligible for RWM when eligible in all three (a null in any is null), as ks2.sql.
    select pupil_id, reading * writing * maths as rwm
    from ks2_results
    where academic_year = $academic_year
),

ks4 as (
    select pupil_id, attainment8, progress8, basics_4
    from ks4_results
    where academic_year = $academic_year
),

results as (
    -- Each pupil's exclusions and results of the year, one row per pupil: the small
    -- tables first, so the join with every member builds on them.
    select
        coalesce(excluded.pupil_id, ks2.pupil_id, ks4.pupil_id) as pupil_id,
        excluded.permanent,
        excluded.suspensions,
        ks2.pupil_id is not null as in_ks2,
        ks2.rwm,
        ks4.pupil_id is not null as in_ks4,
        ks4.attainment8,
        ks4.progress8,
        ks4.basics_4
    from excluded
    full join ks2 on excluded.pupil_id = ks2.pupil_id
    full join ks4 on coalesce(excluded.pupil_id, ks2.pupil_id) = ks4.pupil_id
),

final as (
    select
        members.social_care_group,
        members.pupil_id,
        members.sessions_possible,
        members.sessions_authorised + members.sessions_unauthorised as sessions_overall,
        members.sessions_authorised,
        members.sessions_unauthorised,
        case when members.sessions_possible > 0 then 1 else 0 end as absence_pupil,
        -- Exact thresholds in whole numbers, as absence.sql.
        case
            when members.sessions_possible > 0
                and 10 * (members.sessions_authorised + members.sessions_unauthorised) >= members.sessions_possible
            then 1 else 0
        end as persistent,
        case
            when members.sessions_possible > 0
                and 2 * (members.sessions_authorised + members.sessions_unauthorised) >= members.sessions_possible
            then 1 else 0
        end as severe,
        case when members.on_spring_census then 1 else 0 end as on_spring_roll,
        case when coalesce(results.suspensions, 0) > 0 then 1 else 0 end as suspended,
        coalesce(results.permanent, 0) as permanently_excluded,
        case when results.rwm is not null then 1 else 0 end as ks2_rwm_eligible,
        coalesce(results.rwm, 0) as ks2_rwm_met,
        case when coalesce(results.in_ks4, false) then 1 else 0 end as ks4_pupil,
        coalesce(results.attainment8, 0) as attainment8,
        coalesce(results.basics_4, 0) as l2basics_94,
        case when results.progress8 is not null then 1 else 0 end as p8_pupil,
        coalesce(results.progress8, 0) as p8score
    from results
    right join members on results.pupil_id = members.pupil_id
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    pupil_id,
    cast(sessions_possible as bigint) as sessions_possible,
    cast(sessions_overall as bigint) as sessions_overall,
    cast(sessions_authorised as bigint) as sessions_authorised,
    cast(sessions_unauthorised as bigint) as sessions_unauthorised,
    cast(absence_pupil as int) as absence_pupil,
    cast(persistent as int) as persistent,
    cast(severe as int) as severe,
    cast(on_spring_roll as int) as on_spring_roll,
    cast(suspended as int) as suspended,
    cast(permanently_excluded as int) as permanently_excluded,
    cast(ks2_rwm_eligible as int) as ks2_rwm_eligible,
    cast(ks2_rwm_met as int) as ks2_rwm_met,
    cast(ks4_pupil as int) as ks4_pupil,
    cast(attainment8 as double) as attainment8,
    cast(l2basics_94 as int) as l2basics_94,
    cast(p8_pupil as int) as p8_pupil,
    cast(p8score as double) as p8score
from final
