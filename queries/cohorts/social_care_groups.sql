-- name: social_care_groups
-- title: DfE social care groups at 31 March, and all pupils
-- kind: cohort
-- implements: "domain.md §1 (cohorts: CIN census rules, hierarchy CLA > CPP > CIN, respite and ReferralNFA excluded) and §8 points 1-2"
-- grain: one row per academic year, group and child (or pupil, for All pupils comparison)
-- numerator: not applicable (membership)
-- denominator: not applicable (membership)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the CIN census and SSDA903 collection year ending in the academic year (2022)
--   reference_date: date, 31 March within the academic year
--   period_start: date, 1 April of the previous calendar year, start of the collection year
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   child_id: string, pseudonymised child (null for All pupils comparison)
--   pupil_id: string, pseudonymised pupil (null when the child has no valid UPN)
-- groups:
--   - All pupils comparison
--   - CIN at 31 March
--   - CINO at 31 March
--   - CPPO at 31 March
--   - CLA at 31 March
--   - CLA 12 months at 31 March
--   - CLA less than 12 months at 31 March

with

cin_episodes_this_year as (
    select child_id, referral_date, closure_date, referral_nfa
    from cin_episodes
    where census_year = $census_year
),

protection_plans_this_year as (
    select child_id, plan_start_date, plan_end_date
    from cin_child_protection_plans
    where census_year = $census_year
),

care_episodes_this_year as (
    -- Short breaks (legal status V3, V4) are respite, not looked after (domain.md §1).
    select child_id, start_date, end_date
    from care_episodes
    where collection_year = $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
),

child_links as (
    select child_id, pupil_id from cin_children where census_year = $census_year
    union all
    select child_id, pupil_id from care_children where collection_year = $census_year
),

pupils as (
    select child_id, max(pupil_id) as pupil_id
    from child_links
    group by child_id
),

in_need as (
    -- CIN at 31 March: referred on or before it, not closed by it, not ReferralNFA.
    select distinct child_id
    from cin_episodes_this_year
    where referral_date <= $reference_date
      and (closure_date is null or closure_date > $reference_date)
      and coalesce(referral_nfa, false) = false
),

on_protection_plan as (
    select distinct child_id
    from protection_plans_this_year
    where plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date > $reference_date)
),

care_previous as (
    select
        child_id,
        start_date,
        end_date,
        lag(end_date) over (partition by child_id order by start_date) as previous_end
    from care_episodes_this_year
),

care_spells as (
    -- A spell of care continues while each episode starts the day the previous ended.
    select
        child_id,
        start_date,
        end_date,
        sum(case when previous_end is null or start_date > previous_end then 1 else 0 end)
            over (partition by child_id order by start_date rows between unbounded preceding and current row) as spell
    from care_previous
),

spell_starts as (
    select child_id, spell, min(start_date) as spell_start
    from care_spells
    group by child_id, spell
),

looked_after as (
    select care_spells.child_id, min(spell_starts.spell_start) as spell_start
    from care_spells
    inner join spell_starts
        on care_spells.child_id = spell_starts.child_id
        and care_spells.spell = spell_starts.spell
    where care_spells.start_date <= $reference_date
      and (care_spells.end_date is null or care_spells.end_date > $reference_date)
    group by care_spells.child_id
),

everyone as (
    select child_id from in_need
    union
    select child_id from on_protection_plan
    union
    select child_id from looked_after
),

classified as (
    select
        everyone.child_id,
        looked_after.child_id is not null as is_looked_after,
        looked_after.spell_start,
        on_protection_plan.child_id is not null as is_on_protection_plan
    from everyone
    left join looked_after on everyone.child_id = looked_after.child_id
    left join on_protection_plan on everyone.child_id = on_protection_plan.child_id
),

groups as (
    -- The hierarchy CLA > CPP > CIN makes CINO and CPPO exclusive (domain.md §1).
    select child_id, 'CIN at 31 March' as social_care_group from classified
    union all
    select child_id, 'CINO at 31 March' from classified where not is_looked_after and not is_on_protection_plan
    union all
    select child_id, 'CPPO at 31 March' from classified where is_on_protection_plan and not is_looked_after
    union all
    select child_id, 'CLA at 31 March' from classified where is_looked_after
    union all
    -- Looked after continuously for 12 months: throughout the collection year.
    select child_id, 'CLA 12 months at 31 March' from classified where is_looked_after and spell_start <= $period_start
    union all
    select child_id, 'CLA less than 12 months at 31 March' from classified where is_looked_after and spell_start > $period_start
),

all_pupils as (
    select distinct pupil_id
    from pupil_terms
    where academic_year = $academic_year
),

final as (
    select 'All pupils comparison' as social_care_group, cast(null as varchar) as child_id, pupil_id
    from all_pupils
    union all
    select groups.social_care_group, groups.child_id, pupils.pupil_id
    from groups
    left join pupils on groups.child_id = pupils.child_id
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    child_id,
    pupil_id
from final
order by social_care_group, child_id, pupil_id
