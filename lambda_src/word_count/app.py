"""S3 upload → this function → a result: counts the words of each uploaded text file, writes <key>.json."""

import json
import os
import urllib.parse

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    """For each uploaded object, write {"words": n, "lines": n} to the results bucket."""
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        # S3 URL-encodes the key in the event ("my notes.txt" arrives as "my+notes.txt").
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        result = {"source": f"s3://{bucket}/{key}", "words": len(text.split()), "lines": len(text.splitlines())}
        # A different bucket: writing into the watched one would trigger this function again, forever.
        s3.put_object(Bucket=os.environ["RESULTS_BUCKET"], Key=f"{key}.json", Body=json.dumps(result))
        print(json.dumps(result))
