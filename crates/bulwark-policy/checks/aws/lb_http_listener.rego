# METADATA
# title: "Load balancer listener uses plain HTTP"
# description: "An HTTP listener that does not redirect to HTTPS sends requests, cookies and credentials unencrypted."
# custom:
#   id: misconfig-aws-lb-http-listener
#   severity: CRITICAL
#   input: [terraform, cloudformation]
#   remediation: "Use protocol HTTPS with a certificate, or make the HTTP listener's default action a redirect to HTTPS."
#   references:
#     - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html
package bulwark.aws.lb_http_listener

import rego.v1

import data.lib.aws

deny contains result if {
	some type in ["aws_lb_listener", "aws_alb_listener"]
	some listener in aws.tf_resources(type)
	upper(object.get(listener.attrs, "protocol", "HTTP")) == "HTTP"
	not tf_redirects(listener)
	not network_lb(listener)
	result := aws.result(listener.path, sprintf("%s listens on plain HTTP without redirecting to HTTPS", [listener.address]))
}

deny contains result if {
	some listener in aws.cfn_resources("AWS::ElasticLoadBalancingV2::Listener")
	upper(object.get(listener.props, "Protocol", "")) == "HTTP"
	not cfn_redirects(listener)
	result := aws.result(listener.path, sprintf("Listener %s listens on plain HTTP without redirecting to HTTPS", [listener.name]))
}

tf_redirects(listener) if {
	some action in aws.blocks(listener.attrs, "default_action")
	action.type == "redirect"
	some redirect in aws.blocks(action, "redirect")
	upper(object.get(redirect, "protocol", "")) == "HTTPS"
}

# A listener without a protocol on a network load balancer is TCP.
network_lb(listener) if {
	not listener.attrs.protocol
	some lb in array.concat(aws.tf_resources("aws_lb"), aws.tf_resources("aws_alb"))
	aws.refers_to(listener.attrs.load_balancer_arn, lb, null)
	object.get(lb.attrs, "load_balancer_type", "application") != "application"
}

cfn_redirects(listener) if {
	some action in object.get(listener.props, "DefaultActions", [])
	action.Type == "redirect"
	upper(object.get(action, ["RedirectConfig", "Protocol"], "")) == "HTTPS"
}
