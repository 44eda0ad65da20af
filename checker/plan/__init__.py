"""What the rules in effect need read from AWS, beyond the trails, and whose account reads it.

One definition serves the collection and the evaluation: the data a monitoring rule needs for
one unit is the data behind the links of the chains its verdict weighs, each up to its first
broken link (:func:`checker.plan.monitoring.unit_reads`). A live collection reads exactly that,
in rounds (what an alarm notifies is known once the alarm is read), each resource once, in
the account and Region that own it. The modules:

* :mod:`checker.plan.reads`: the reads (DescribeMetricFilters of a log group, DescribeAlarms,
  an SNS topic's subscribers, the rules of an event bus, a rule's targets) and
  :class:`~checker.plan.reads.ReadPlan`, a plain mapping account -> Region -> reads that a
  sharded collection can split by account;
* :mod:`checker.plan.rules`: the data families and the alerting questions of the rules;
* :mod:`checker.plan.monitoring`: the monitoring reads of a (partly collected) snapshot.
"""
