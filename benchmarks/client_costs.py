"""What one botocore client costs the live collector: building it, its first call, a later call.

The live collector builds one client per (account, region) and makes few calls with
each, so these three figures explain its CPU per call (see README.md, Live collection).
A moto server in its own process answers DescribeTrails; the CPU is this process's only.

Run: ``python benchmarks/client_costs.py [--clients 100]``. Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import time

import boto3
from botocore.config import Config
from live import REGIONS, start_moto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    moto, endpoint = start_moto()
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        session = boto3.Session()
        config = Config(retries={"mode": "adaptive", "total_max_attempts": 5})
        session.client("cloudtrail", config=config).describe_trails()  # models parsed once, not measured
        build = first = later = 0.0
        for index in range(args.clients):
            started = time.process_time()
            client = session.client("cloudtrail", region_name=REGIONS[index % len(REGIONS)], config=config,
                                    aws_access_key_id=f"AKIA{index:016d}", aws_secret_access_key="secret",
                                    aws_session_token="token")
            built = time.process_time()
            client.describe_trails(includeShadowTrails=True)
            called = time.process_time()
            client.describe_trails(includeShadowTrails=True)
            build, first, later = (build + built - started, first + called - built,
                                   later + time.process_time() - called)
    finally:
        moto.terminate()
        moto.wait()
    per = 1000 / args.clients
    print(f"{args.clients} clients: build {build * per:.1f} ms, first call {first * per:.1f} ms, "
          f"later call {later * per:.1f} ms (CPU of this process, per client)")


if __name__ == "__main__":
    main()
