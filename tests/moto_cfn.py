"""moto server whose CloudFormation can create the shipped templates
(infra/hub.yaml, infra/member.yaml), EMULATED for tests/deploy.rs. Never used
by product code. The templates are deployed exactly as shipped: no resource
is rewritten; where moto 5.2.5's CloudFormation lacks a resource type the
hub uses, the type is modelled here on the resource's CloudFormation
documentation (its properties, `Ref` and `Fn::GetAtt` values), each creating
the real object in moto's own backend:

- ``AWS::Events::EventBus``: moto gives no physical id, so ``Ref`` (the bus
  name in AWS) resolved to an internal object and every rule on the bus
  failed (``'EventBus' object has no attribute 'split'``).
- ``AWS::CloudWatch::Alarm``: ``Ref`` is the alarm name, ``Fn::GetAtt Arn``
  its ARN; created with ``PutMetricAlarm``.
- ``AWS::Lambda::EventInvokeConfig``: ``PutFunctionEventInvokeConfig``.
- ``AWS::Lambda::Alias``: ``CreateAlias``; ``Ref`` is the alias ARN.
- ``AWS::S3::BucketPolicy``: ``PutBucketPolicy``.
- ``AWS::SQS::QueuePolicy``: the ``Policy`` attribute of each queue.
- ``AWS::SNS::Subscription``: ``Subscribe``.

Transport: a bucket policy's statements are applied by moto with the
request's condition values, which moto leaves empty, so the hub's
``DenyInsecureTransport`` (Deny when ``aws:SecureTransport`` is false) denied
every request. The local AWS answers on loopback in place of AWS's TLS
endpoints (every client of runas-guard's reaches AWS over HTTPS), so bucket
policies are evaluated here with ``aws:SecureTransport`` true, and moto's
condition evaluator (``StringEquals`` only, every other operator ignored,
so the Deny applied unconditionally) also evaluates ``Bool`` as AWS
defines it: a case-insensitive match of ``true``/``false``; and a statement
whose conditions do not hold does not apply (moto answered Denied for it,
whatever its Effect).

IAM enforcement (off until a test turns it on) is completed in
``moto_iam.py``, imported here; Lambda ``Invoke`` runs the built binary as
the function, with the function's own role (``moto_lambda_invoke.py``,
imported here, when ``RUNAS_GUARD_LOCAL_FUNCTION_BINARY`` names it).

It also carries the Account Management region operations of
``moto_account_regions.py`` (for `doctor`'s `regions enabled`) and
``moto_ssm_associations.py`` (State Manager, for the run-as user check), so
`make deploy-local` (tools/deploy_local.py) has one local AWS with both.

Usage: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``).
"""

import json
import sys

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.events.models import EventBus
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.awslambda.models import lambda_backends
from moto.s3.models import FakeBucket, s3_backends
import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do
from moto.server import main
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

import moto_account_regions  # noqa: F401 - its patches apply on import
import moto_ssm_associations  # noqa: F401 - State Manager, for the run-as user check
import moto_iam  # noqa: F401 - its patches apply on import
import moto_lambda_invoke  # noqa: F401 - Invoke runs the built binary as the function

EventBus.physical_resource_id = property(lambda self: self.name)


def _bool_condition(expected, actual):
    wanted = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in [str(w).lower() for w in wanted]


policy_conditions.CONDITION_OPERATIONS["Bool"] = _bool_condition
_statement_permits = IAMPolicyStatement.is_action_permitted


def _statement_if_conditions_hold(self, action, resource="*", principal=None, incoming_condition_values=None):
    if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
        return PermissionResult.NEUTRAL
    return _statement_permits(self, action, resource, principal, incoming_condition_values)


IAMPolicyStatement.is_action_permitted = _statement_if_conditions_hold


def _bucket_permission(self, action, resource):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return IAMPolicy(self.policy.decode()).is_action_permitted(
        action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
    )


FakeBucket.get_permission = _bucket_permission


def _props(cloudformation_json):
    return cloudformation_json.get("Properties", {})


class CfnAlarm(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.cloudwatch.models"

    def __init__(self, alarm):
        self.alarm = alarm

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type():
        return "AlarmName"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    @property
    def physical_resource_id(self):
        return self.alarm.name

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.alarm.alarm_arn
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=p.get("AlarmName") or resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p.get("Period", 60)),
            threshold=float(p.get("Threshold", 0)),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            treat_missing_data=p.get("TreatMissingData"),
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
        )
        return cls(alarm)


class CfnEventInvokeConfig(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.awslambda.models"

    def __init__(self, function_name):
        self.function_name = function_name

    @staticmethod
    def cloudformation_type():
        return "AWS::Lambda::EventInvokeConfig"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.function_name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        config = {k: v for k, v in p.items() if k != "FunctionName" and k != "Qualifier"}
        if "MaximumRetryAttempts" in config:
            config["MaximumRetryAttempts"] = int(config["MaximumRetryAttempts"])
        if "MaximumEventAgeInSeconds" in config:
            config["MaximumEventAgeInSeconds"] = int(config["MaximumEventAgeInSeconds"])
        lambda_backends[account_id][region_name].put_function_event_invoke_config(p["FunctionName"], config)
        return cls(p["FunctionName"])


class CfnAlias(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.awslambda.models"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_type():
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        backend = lambda_backends[account_id][region_name]
        function = p["FunctionName"].split(":function:", 1)[-1]
        alias = backend.create_alias(p["Name"], function, p.get("FunctionVersion", "$LATEST"),
                                     p.get("Description", ""), None)
        return cls(alias.arn)


class CfnBucketPolicy(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.s3.models"

    def __init__(self, bucket):
        self.bucket = bucket

    @staticmethod
    def cloudformation_type():
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.bucket

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        document = json.dumps(p["PolicyDocument"]).encode()
        s3_backends[account_id]["aws"].put_bucket_policy(p["Bucket"], document)
        return cls(p["Bucket"])


class CfnQueuePolicy(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.sqs.models"

    def __init__(self, urls):
        self.urls = urls

    @staticmethod
    def cloudformation_type():
        return "AWS::SQS::QueuePolicy"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return ",".join(self.urls)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        backend = sqs_backends[account_id][region_name]
        for url in p["Queues"]:
            backend.set_queue_attributes(url.rstrip("/").split("/")[-1], {"Policy": json.dumps(p["PolicyDocument"])})
        return cls(p["Queues"])


class CfnSubscription(CloudFormationModel):
    # moto's model registry files each model under its service module.
    __module__ = "moto.sns.models"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_type():
        return "AWS::SNS::Subscription"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _props(cloudformation_json)
        topic_arn = p["TopicArn"]
        backend = sns_backends[account_id][topic_arn.split(":")[3]]
        sub = backend.subscribe(topic_arn, p["Endpoint"], p["Protocol"])
        return cls(sub.arn)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
