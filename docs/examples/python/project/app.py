"""The usual Lambda shape: the boto3 client is made when the module is imported (cold start).

Under the sealbox pytest plugin that import happens after the plugin pointed AWS_ENDPOINT_URL at
the test daemon, so this client never talks to AWS.
"""

import boto3

ssm = boto3.client("ssm")


def handler(event, context):
    return ssm.get_parameter(Name=event["name"], WithDecryption=True)["Parameter"]["Value"]
