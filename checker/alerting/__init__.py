"""The alerting simulator: would a recorded event raise an alert, and through what?

Beside the selector simulator (``checker.simulator``), which decides what a trail records,
this package decides what happens next: a CloudWatch Logs metric filter or an EventBridge
rule matches the record, and the chain behind it reaches a person. How it decides is in
docs/semantics.md ("Monitoring chains").
"""
