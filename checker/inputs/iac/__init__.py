"""Infrastructure as code read into the estate model: Terraform plans and CloudFormation templates.

The pull-request gate judges a change before it is deployed: the trails, monitoring
resources and event data stores the code defines become a :class:`~checker.model.Snapshot`
(with a :class:`~checker.code_origin.CodeOrigin` saying where each trail is written and
what the change does to it), and the same rules and simulator judge it.
"""
