"""The engine: policies evaluated against the model with the selector simulator.

``config`` judges trail configurations (scopes trail, region, account, organization);
``events`` judges sampled records (scope event).
"""
