-- name: social_care_children
-- title: Each child's social care in the year (in need, on a plan, looked after) at 31 March, at any point and over the look-back years, per person
-- kind: cohort
-- table: social_care_children
-- implements: "domain.md §1 (cohorts: CIN census rules, respite and ReferralNFA excluded, CLA 12 months, the look-back window (six years by default, or every year held), the VSH plan-based CWSW cohorts, linking children to pupils) and §8 points 1-2"
-- grain: one row per academic year and person (persons.sql) with a CIN census or SSDA903 record in the look-back collection years ending in it
-- numerator: not applicable (facts)
-- denominator: not applicable (facts)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the CIN census and SSDA903 collection year ending in the academic year (2022)
--   reference_date: date, 31 March within the academic year
--   period_start: date, 1 April of the previous calendar year, start of the collection year
--   lookback_census_year: int32, the first of the look-back collection years ending in this one (2017 for 2022 with six years; 0 with every year held)
--   lookback_start: date, 1 April starting that first collection year (2016-04-01 for 2022; 1900-04-01 with every year held)
-- output:
--   academic_year: int32, the academic year (202122)
--   person_id: string, the child's person (persons.sql), its records under every child id pooled
--   in_need: boolean, in need at 31 March (an episode open then, this year's census)
--   in_need_any_point: boolean, in need on some day of the collection year
--   protection_plan: boolean, on a child protection plan at 31 March
--   protection_plan_any_point: boolean, on a child protection plan on some day of the collection year
--   cin_plan: boolean, on a CIN plan at 31 March
--   looked_after: boolean, looked after at 31 March (respite excluded)
--   looked_after_any_point: boolean, looked after on some day of the collection year
--   ever_in_need: boolean, in need (or on a protection plan, or looked after) on some day of the look-back years
--   ever_on_plan: boolean, on a CIN plan or a child protection plan on some day of the look-back years
--   spell_start: date, start of the spell of care that 31 March falls in (null when not looked after then)
--   pupil_id: string, the person's pupil (its person_id) when some return of any year gave it a UPN, else null
--
-- The facts social_care_groups puts children in groups by, worked out once per person
-- and year and kept as a table: DataFusion computes a CTE again at every reference, and
-- the groups read these facts twice (the groups, and the peers who are in none). Facts
-- are pooled over a person's child ids (a CIN LAchildID and a different SSDA903 CHILD
-- joined by their UPN), so the hierarchy puts each person in one of CINO, CPPO and CLA.

with

cin_episodes_window as (
    -- Every episode of the six collection years; referral NFA is not in need (domain.md §1).
    select child_id, census_year, referral_date, closure_date
    from cin_episodes
    where census_year between $lookback_census_year and $census_year
      and coalesce(referral_nfa, false) = false
),

care_this_year as (
    -- Short breaks (legal status V3, V4) are respite, not looked after (domain.md §1).
    select child_id, start_date, end_date
    from care_episodes
    where collection_year = $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
),

care_previous as (
    select
        child_id,
        start_date,
        end_date,
        -- Episodes starting the same day in end order, so every engine numbers spells
        -- alike (an open episode, no end yet, last).
        lag(end_date) over (partition by child_id order by start_date, end_date nulls last) as previous_end
    from care_this_year
),

care_spells as (
    -- A spell of care continues while each episode starts the day the previous ended.
    select
        child_id,
        start_date,
        end_date,
        sum(case when previous_end is null or start_date > previous_end then 1 else 0 end)
            over (
                partition by child_id
                order by start_date, end_date nulls last
                rows between unbounded preceding and current row
            ) as spell
    from care_previous
),

care_spell_starts as (
    select
        child_id,
        start_date,
        end_date,
        min(start_date) over (partition by child_id, spell) as spell_start
    from care_spells
),

looked_after as (
    -- Looked after at 31 March, with the start of the spell of care it falls in.
    select child_id, min(spell_start) as spell_start
    from care_spell_starts
    where start_date <= $reference_date
      and (end_date is null or end_date > $reference_date)
    group by child_id
),

facts as (
    -- What each record says of its child, one column a fact, 0 where it says nothing;
    -- each return is read once here (care episodes once more, for the spells above),
    -- and `children` sums them up per child. A period counts at 31 March when it began
    -- by then and had not ended by it, at any point when it was open on some day of the
    -- collection year (an end on 1 April still counts), and over six years when it was
    -- open on some day from lookback_start on.
    select
        child_id,
        case
            when census_year = $census_year and referral_date <= $reference_date
                and (closure_date is null or closure_date > $reference_date) then 1
            else 0
        end as in_need,
        case
            when census_year = $census_year and referral_date <= $reference_date
                and (closure_date is null or closure_date >= $period_start) then 1
            else 0
        end as in_need_any_point,
        0 as protection_plan,
        0 as protection_plan_any_point,
        0 as cin_plan,
        0 as looked_after,
        0 as looked_after_any_point,
        case
            when referral_date <= $reference_date
                and (closure_date is null or closure_date >= $lookback_start) then 1
            else 0
        end as ever_in_need,
        0 as ever_on_plan,
        cast(null as date) as spell_start
    from cin_episodes_window
    union all
    select
        child_id,
        0,
        0,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date > $reference_date) then 1
            else 0
        end,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $period_start) then 1
            else 0
        end,
        0,
        0,
        0,
        -- A child protection plan is both a time in need and a plan (CWSW).
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        cast(null as date)
    from cin_child_protection_plans
    where census_year between $lookback_census_year and $census_year
    union all
    select
        child_id,
        0,
        0,
        0,
        0,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date > $reference_date) then 1
            else 0
        end,
        0,
        0,
        0,
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        cast(null as date)
    from cin_plans
    where census_year between $lookback_census_year and $census_year
    union all
    select
        child_id,
        0,
        0,
        0,
        0,
        0,
        0,
        case
            when collection_year = $census_year and start_date <= $reference_date
                and (end_date is null or end_date >= $period_start) then 1
            else 0
        end,
        case
            when start_date <= $reference_date
                and (end_date is null or end_date >= $lookback_start) then 1
            else 0
        end,
        0,
        cast(null as date)
    from care_episodes
    where collection_year between $lookback_census_year and $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
    union all
    select child_id, 0, 0, 0, 0, 0, 1, 0, 0, 0, spell_start
    from looked_after
),

children as (
    -- Per person: a child id persons.sql does not list is a person of its own, with no
    -- pupil (no return gave it a UPN).
    select
        coalesce(person_ids.person_id, facts.child_id) as person_id,
        max(in_need) = 1 as in_need,
        max(in_need_any_point) = 1 as in_need_any_point,
        max(protection_plan) = 1 as protection_plan,
        max(protection_plan_any_point) = 1 as protection_plan_any_point,
        max(cin_plan) = 1 as cin_plan,
        max(looked_after) = 1 as looked_after,
        max(looked_after_any_point) = 1 as looked_after_any_point,
        max(ever_in_need) = 1 as ever_in_need,
        max(ever_on_plan) = 1 as ever_on_plan,
        min(spell_start) as spell_start,
        max(case when person_ids.has_pupil then 1 else 0 end) = 1 as has_pupil
    -- The children persons.sql lists, the smaller side, first: DataFusion builds a hash
    -- join's table from its left input.
    from (
        select id, person_id, has_pupil
        from person_ids
        where kind = 'child'
    ) as person_ids
    right join facts on person_ids.id = facts.child_id
    group by coalesce(person_ids.person_id, facts.child_id)
)

select
    cast($academic_year as int) as academic_year,
    person_id,
    in_need,
    in_need_any_point,
    protection_plan,
    protection_plan_any_point,
    cin_plan,
    looked_after,
    looked_after_any_point,
    ever_in_need,
    ever_on_plan,
    spell_start,
    case when has_pupil then person_id end as pupil_id
from children
-- No order: a table for social_care_groups to read.
