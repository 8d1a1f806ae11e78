"""The policy bucket of infra/hub.yaml, and the one object of it the function reads.

The function reads its policy from ``RUNAS_GUARD_POLICY=s3://bucket/key``
(src/flow/policy_source.rs): at cold start (it must validate, or the function does
not start), then at most every ``RUNAS_GUARD_POLICY_REFRESH_SECONDS``. The
bucket keeps every version (the record of which policy was in force when, and
the way back), is encrypted, private, TLS-only and outlives the stack.
"""

import re
import unittest

from . import cfn

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# A bucket name CloudFormation could generate (stack name, logical id, suffix; lower case).
GENERATED_BUCKET = "runas-guard-hub-policybucket-1a2b3c4d5e6f"
# What src/flow/policy_source.rs Source::parse accepts as a bucket name.
FUNCTION_BUCKET_NAME = re.compile(r"^[a-z0-9.-]{3,63}$")


class PolicyBucketTests(cfn.TemplateTestCase):

    def resource(self, logical_id):
        return self.hub["Resources"][logical_id]

    def props(self, logical_id):
        return self.resource(logical_id)["Properties"]

    def conditions(self, **parameters):
        return cfn.evaluate_conditions(self.hub, parameters, "123456789012", "us-east-1")

    def hub_role_statements(self, conditions):
        """Every statement of the hub role in a stack instance with ``conditions``."""
        policies = cfn.resolve_conditionals(self.props("HubRole")["Policies"], conditions)
        return [s for p in policies for s in cfn.statements(p["PolicyDocument"])]

    def test_bucket_is_versioned(self):
        self.assertEqual(self.props("PolicyBucket")["VersioningConfiguration"], {"Status": "Enabled"})
        # A policy history is an audit record: no rule expires old versions.
        self.assertNotIn("LifecycleConfiguration", self.props("PolicyBucket"))
        self.assertNotIn("ObjectLockEnabled", self.props("PolicyBucket"))

    def test_bucket_is_encrypted_with_the_customer_key_when_given(self):
        conditions = self.conditions(KmsKeyArn=KEY_ARN)
        self.assertTrue(conditions["HasKmsKey"])
        encryption = cfn.resolve_conditionals(self.props("PolicyBucket")["BucketEncryption"], conditions)
        self.assertEqual(encryption, {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "KmsKeyArn"}},
            "BucketKeyEnabled": True,
        }]})

    def test_bucket_is_encrypted_with_s3_managed_keys_otherwise(self):
        conditions = self.conditions()
        self.assertFalse(conditions["HasKmsKey"])
        encryption = cfn.resolve_conditionals(self.props("PolicyBucket")["BucketEncryption"], conditions)
        self.assertEqual(encryption, {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        }]})

    def test_function_may_decrypt_the_policy_through_s3_only_with_the_customer_key(self):
        with_key = [s for s in self.hub_role_statements(self.conditions(KmsKeyArn=KEY_ARN))
                    if s["Sid"] == "DecryptPolicyObjectThroughS3"]
        self.assertEqual(with_key, [{
            "Sid": "DecryptPolicyObjectThroughS3", "Effect": "Allow", "Action": "kms:Decrypt",
            "Resource": {"Ref": "KmsKeyArn"},
            "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}},
        }])
        without_key = self.hub_role_statements(self.conditions())
        self.assertFalse([s for s in without_key if {"Ref": "KmsKeyArn"} in cfn.as_list(s["Resource"])])

    def test_bucket_blocks_public_access(self):
        bucket = self.props("PolicyBucket")
        self.assertEqual(bucket["PublicAccessBlockConfiguration"], {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True})
        # ACLs disabled: the bucket owner owns every object, whoever uploads it.
        self.assertEqual(bucket["OwnershipControls"], {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.assertNotIn("AccessControl", bucket)
        self.assertNotIn("WebsiteConfiguration", bucket)

    def test_bucket_policy_refuses_plain_http_and_grants_nothing(self):
        policies = [r["Properties"] for r in cfn.resources_of_type(self.hub, "AWS::S3::BucketPolicy").values()
                    if r["Properties"]["Bucket"] == {"Ref": "PolicyBucket"}]
        (policy,) = policies
        (statement,) = cfn.statements(policy["PolicyDocument"])
        self.assertEqual(statement["Effect"], "Deny")
        self.assertEqual(statement["Principal"], "*")
        self.assertEqual(statement["Action"], "s3:*")
        self.assertEqual(cfn.as_list(statement["Resource"]), [
            {"Fn::GetAtt": ["PolicyBucket", "Arn"]},
            {"Fn::Sub": "${PolicyBucket.Arn}/*"},
        ])
        self.assertEqual(statement["Condition"], {"Bool": {"aws:SecureTransport": "false"}})

    def test_bucket_and_its_policy_are_retained(self):
        for logical_id in ("PolicyBucket", "PolicyBucketPolicy"):
            with self.subTest(resource=logical_id):
                resource = self.resource(logical_id)
                self.assertEqual(resource["DeletionPolicy"], "Retain")
                self.assertEqual(resource["UpdateReplacePolicy"], "Retain")
                self.assertNotIn("Condition", resource)
        # CloudFormation names the bucket: no clash between stacks or with a retained bucket.
        self.assertNotIn("BucketName", self.props("PolicyBucket"))

    def test_policy_key_parameter(self):
        parameter = self.hub["Parameters"]["PolicyKey"]
        self.assertEqual((parameter["Type"], parameter["Default"]), ("String", "policy.toml"))
        self.assertEqual(parameter["MaxLength"], 1024)
        pattern = re.compile(parameter["AllowedPattern"])
        for key in ("policy.toml", "prod/policy.toml", "runas-guard/2025/policy-v2.toml", "a"):
            with self.subTest(key=key):
                self.assertTrue(pattern.fullmatch(key))
        # Empty, leading "/", and what would make the role's grant name more
        # than one object (IAM wildcards, policy variables) or an odd key.
        for key in ("", "/policy.toml", "/", "prod/", "prod//policy.toml", "policy*.toml", "policy?.toml",
                    "${aws:username}.toml", "policy .toml", "prod\\policy.toml"):
            with self.subTest(key=key):
                self.assertIsNone(pattern.fullmatch(key))
        groups = self.hub["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        self.assertIn("PolicyKey", [name for group in groups for name in group["Parameters"]])

    def test_function_reads_exactly_the_object_the_role_may_read(self):
        variables = self.props("Function")["Environment"]["Variables"]
        refresh = variables["RUNAS_GUARD_POLICY_REFRESH_SECONDS"]
        self.assertIsInstance(refresh, str)
        self.assertGreater(int(refresh), 0)
        s3_statements = [s for s in self.hub_role_statements(self.conditions(KmsKeyArn=KEY_ARN))
                         if any(a.startswith("s3:") for a in cfn.as_list(s["Action"]))]
        # The object and its versions; the bucket's version list for that key only.
        grant, versions = s3_statements
        self.assertEqual(cfn.as_list(grant["Action"]), ["s3:GetObject", "s3:GetObjectVersion"])
        self.assertNotIn("Condition", grant)
        self.assertEqual(cfn.as_list(versions["Action"]), ["s3:ListBucketVersions"])
        self.assertEqual(versions["Condition"], {"StringEquals": {"s3:prefix": {"Ref": "PolicyKey"}}})
        self.assertEqual(cfn.as_list(versions["Resource"]), [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${PolicyBucket}"}])
        (resource,) = cfn.as_list(grant["Resource"])
        self.assertEqual(self.hub["Outputs"]["PolicyUrl"]["Value"], variables["RUNAS_GUARD_POLICY"])
        self.assertEqual(self.hub["Outputs"]["PolicyBucketName"]["Value"], {"Ref": "PolicyBucket"})
        self.assertTrue(FUNCTION_BUCKET_NAME.match(GENERATED_BUCKET))
        for key in ("policy.toml", "prod/runas-guard/policy.toml"):
            with self.subTest(PolicyKey=key):
                values = {"AWS::Partition": "aws", "PolicyBucket": GENERATED_BUCKET, "PolicyKey": key}
                url = cfn.render_sub(variables["RUNAS_GUARD_POLICY"]["Fn::Sub"], values)
                arn = cfn.render_sub(resource["Fn::Sub"], values)
                # As src/flow/policy_source.rs parses it: bucket up to the first "/", the rest is the key.
                scheme, _, rest = url.partition("://")
                bucket, _, object_key = rest.partition("/")
                self.assertEqual((scheme, bucket, object_key), ("s3", GENERATED_BUCKET, key))
                self.assertEqual(arn, f"arn:aws:s3:::{bucket}/{object_key}")
                self.assertNotRegex(arn, r"[*?$]")


if __name__ == "__main__":
    unittest.main()
