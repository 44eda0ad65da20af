"""What several test modules (and the live benchmark) build on: data files, CLI runs, snapshot
and simulator builders, the moto proxy. Test modules import these, never each other."""
