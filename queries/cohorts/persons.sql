-- name: persons
-- title: One person per child and pupil, every UPN and child id the returns link resolved into one key
-- kind: cohort
-- table: person_ids
-- once: true
-- implements: "domain.md §1 (linking children to pupils: through every UPN the child's returns carry, so one pupil is in one of CINO, CPPO and CLA; a child first referred before school age is given a UPN later) and §5 (FormerUPN in the CIN census, formerupn in the school census)"
-- grain: one row per child id a return gives a UPN, and per pupil id linked to another pupil id
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
-- two ids that a shared UPN joins. A person is a connected set of ids; its key is the
-- least pupil_id in it (so every table keyed by pupil_id keeps its key for a pupil who
-- never changed UPN): the same ids always make the same key, whatever the order of the
-- files. A child no return gives a UPN is not listed: it is a person of its own, keyed
-- by its child_id, without a pupil; so is a pupil linked to no other pupil, keyed by
-- its own pupil_id.
--
-- Every link joins a child to a pupil or a pupil to a pupil, so a person of more than
-- one id holds a pupil, and only pupils need to be followed: a child's UPNs are joined
-- to the least of them, and the search follows the pupil-to-pupil links (a former
-- UPN, two UPNs of one child) until nothing new is reached, `union` (not `union all`)
-- stopping it where links go round in a circle. Those links are few (a UPN change, a
-- child with two UPNs), so the search stays small: seeded with every id it held all
-- the pairs of 6M ids at national scale and ran out of a 4 GB memory limit. The links
-- come from person_links.sql, a table: a recursive query's step runs again each round.

with recursive

edges as (
    select one, other
    from person_links
    where link = 'pupil'
),

reached (id, label) as (
    select distinct one as id, one as label from edges
    union
    select edges.other, reached.label
    from reached
    inner join edges on edges.one = reached.id
),

pupil_people as (
    select id, min(label) as person_id
    from reached
    group by id
)

select id, 'pupil' as kind, person_id, true as has_pupil
from pupil_people
union all
select
    children.one as id,
    'child' as kind,
    coalesce(pupil_people.person_id, children.other) as person_id,
    true as has_pupil
from pupil_people
right join (
    select one, other
    from person_links
    where link = 'child'
) as children on pupil_people.id = children.other
-- No order: a table the cohorts and measures join.
