"""Infrastructure as code: lint a SAM template, upload its code as `sam package` does, read a stack's outputs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import boto3

from .cleanup import COURSE_TAG_LIST
from .steps import package_function

# A CodeUri that names a local folder (not yet an s3:// location).
_LOCAL_CODE_URI = re.compile(r"^(?P<indent>\s*)CodeUri:\s*(?P<folder>(?!s3://)[^\s#]+)\s*$", re.MULTILINE)


def lint_template(template: str, region: str = "us-east-1") -> list[str]:
    """cfn-lint's findings for a template, one line each: rule id, line, message (no AWS call)."""
    from cfnlint.api import ManualArgs, lint

    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in lint(template, config=ManualArgs(regions=[region]))]


def package_template(template: str, base_dir: str | Path, bucket: str) -> str:
    """What `sam package` does: zip each local CodeUri folder, upload it (s3.create_bucket, put_bucket_tagging, put_object), point CodeUri at it."""
    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": COURSE_TAG_LIST})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    def upload(match: re.Match[str]) -> str:
        package = package_function(Path(base_dir, match["folder"]))
        # Named after its content, as sam names artifacts: unchanged code keeps its key.
        key = f"{Path(match['folder']).name}-{hashlib.sha256(package).hexdigest()[:16]}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=package)
        return f"{match['indent']}CodeUri: s3://{bucket}/{key}"

    return _LOCAL_CODE_URI.sub(upload, template)


def stack_outputs(stack_name: str) -> dict[str, str]:
    """A stack's outputs as {key: value} (cloudformation.describe_stacks)."""
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
