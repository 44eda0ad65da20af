"""The event engine: event rules (scope ``event``) judged over CloudTrail records.

Records go in one at a time, through an index (:mod:`.index`) to the few rules that
could match them (:mod:`.match`), into mergeable aggregates (:mod:`.groups`,
:mod:`.tally`) that become findings (:mod:`.findings`). :class:`EventEvaluator` is the
entry point; :func:`evaluate_event_rules` runs it over records already in hand.
"""

from checker.engine.events.evaluate import EventEvaluator, evaluate_event_rules
from checker.engine.events.tally import EventTally

__all__ = ["EventEvaluator", "EventTally", "evaluate_event_rules"]
