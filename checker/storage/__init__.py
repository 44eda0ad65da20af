"""Where the logs live: the exact storage checks (docs/semantics.md, "Where the logs live").

Each module judges one kind of protection on model objects (:mod:`checker.storage_model`);
:mod:`checker.storage.judge` finds the trail's bucket, key or log group in the account that owns
it, and answers ``error`` when it cannot, ``skipped`` when the snapshot does not carry the data.
"""
