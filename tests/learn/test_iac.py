"""The infrastructure-as-code helpers: lint a template, package its code, read its outputs."""

from __future__ import annotations

import io
import zipfile

import boto3

from helpers.cleanup import COURSE_TAG_LIST
from helpers.iac import lint_template, package_template, stack_outputs
from tests.support import ROOT

TEMPLATE = (ROOT / "lambda_src" / "template.yaml").read_text()


def test_the_course_template_lints_clean():
    assert lint_template(TEMPLATE) == []


def test_lint_names_the_rule_the_line_and_the_reason():
    findings = lint_template(TEMPLATE.replace("MemorySize: 128", "MemorySize: 64"))
    assert findings == ["E3034 line 13: 64 is less than the minimum of 128"]


def test_package_uploads_the_folder_and_points_code_uri_at_it(sandbox):
    packaged = package_template(TEMPLATE, ROOT / "lambda_src", "artifacts")
    uri = next(line.split()[-1] for line in packaged.splitlines() if "CodeUri:" in line)
    assert uri.startswith("s3://artifacts/hello_world-") and uri.endswith(".zip")
    body = boto3.client("s3").get_object(Bucket="artifacts", Key=uri.split("/", 3)[3])["Body"].read()
    assert "app.py" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert boto3.client("s3").get_bucket_tagging(Bucket="artifacts")["TagSet"] == COURSE_TAG_LIST
    # Unchanged code, same key; and packaging twice is harmless.
    assert package_template(TEMPLATE, ROOT / "lambda_src", "artifacts") == packaged
    assert packaged.replace(uri, "hello_world/") == TEMPLATE


def test_stack_outputs_reads_the_deployed_urls(sandbox):
    packaged = package_template(TEMPLATE, ROOT / "lambda_src", "artifacts")
    boto3.client("cloudformation").create_stack(StackName="hello", TemplateBody=packaged,
                                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    outputs = stack_outputs("hello")
    assert outputs["HelloUrl"].endswith(".execute-api.us-east-1.amazonaws.com/Prod/hello")
    assert outputs["FunctionName"].startswith("hello-HelloWorldFunction-")


def test_code_already_in_s3_is_left_alone(sandbox):
    template = TEMPLATE.replace("CodeUri: hello_world/", "CodeUri: s3://elsewhere/code.zip")
    assert package_template(template, ROOT / "lambda_src", "artifacts") == template
