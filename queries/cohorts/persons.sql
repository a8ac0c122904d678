-- name: persons
-- title: One person per child and pupil, every UPN and child id the returns link resolved into one key
-- kind: cohort
-- table: person_ids
-- once: true
-- implements: "domain.md §1 (linking children to pupils: through every UPN the child's returns carry, so one pupil is in one of CINO, CPPO and CLA; a child first referred before school age is given a UPN later) and §5 (FormerUPN in the CIN census, formerupn in the school census)"
-- grain: one row per child id or pupil id that a return links to another id
-- numerator: not applicable (identity)
-- denominator: not applicable (identity)
-- parameters: {}
-- output:
--   id: string, a pupil_id or child_id of the warehouse
--   kind: string, pupil or child, which of the two the id is
--   person_id: string, the person's key, the least pupil_id of the person when it has one, else its least child_id
--   has_pupil: boolean, some return links the person to a UPN, so its school records can be found
--
-- The links: a CIN return's child and its UPN and FormerUPN, an SSDA903 return's CHILD
-- and its UPN, a school census row's UPN and formerupn, over every collection year held
-- (a UPN in a later return finds the child's pupil in the earlier years too). SSDA903
-- `CHILD` and CIN `LAchildID` are the same child id when they are the same text, else
-- two ids that a shared UPN joins. A person is a connected set of ids, found by
-- following links until nothing new is reached; its key is the least pupil_id in it
-- (so every table keyed by pupil_id keeps its key for a pupil who never changed UPN),
-- or the least child_id when no return gave it a UPN: the same ids always make the
-- same key, whatever the order of the files. An id no return links to another is not
-- listed: it is a person of its own, keyed by itself (a pupil by its pupil_id; a child
-- without a UPN by its child_id, and without a pupil).
--
-- The search visits every pair of ids in a person (a person holds a handful of ids),
-- and `union` (not `union all`) stops it where the links go round in a circle.

with recursive

links as (
    -- Each link with the kinds of its two ids: '0' a pupil, '1' a child.
    select child_id as one, '1' as one_kind, pupil_id as other, '0' as other_kind
    from cin_children
    where pupil_id is not null
    union all
    select child_id as one, '1' as one_kind, former_pupil_id as other, '0' as other_kind
    from cin_children
    where former_pupil_id is not null
    union all
    select child_id as one, '1' as one_kind, pupil_id as other, '0' as other_kind
    from care_children
    where pupil_id is not null
    union all
    select pupil_id as one, '0' as one_kind, former_pupil_id as other, '0' as other_kind
    from pupil_terms
    where former_pupil_id is not null
),

edges as (
    -- Both directions, once each.
    select distinct one, other
    from (
        select one, other from links
        union all
        select other, one from links
    ) as both_ways
),

ids as (
    -- Every id some link names. An id's label is its kind, a space and the id, so the
    -- least label of a person is a pupil's when it has one.
    select distinct id, kind
    from (
        select one as id, one_kind as kind from links
        union all
        select other, other_kind from links
    ) as ends
),

reached (id, label) as (
    select id, concat(kind, ' ', id) from ids
    union
    select edges.other, reached.label
    from reached
    inner join edges on edges.one = reached.id
),

people as (
    select id, min(label) as label
    from reached
    group by id
)

select
    people.id,
    case when ids.kind = '0' then 'pupil' else 'child' end as kind,
    split_part(people.label, ' ', 2) as person_id,
    split_part(people.label, ' ', 1) = '0' as has_pupil
from people
inner join ids on ids.id = people.id
-- No order: a table the cohorts and measures join.
