# Helpers shared by the AWS checks, which read both Terraform and
# CloudFormation documents. Terraform values that the parser could not
# resolve arrive as expression strings such as "${var.x}"; the helpers treat
# them (and CloudFormation intrinsic functions) as unknown, never as false.
package lib.aws

import rego.v1

# Terraform resources of one type in the root module and in local modules
# up to two levels deep, as {"name", "attrs", "path", "address"}.
tf_resources(type) := array.concat(array.concat(root_resources(type), module_resources(type)), nested_module_resources(type))

root_resources(type) := [r |
	input.kind == "terraform"
	some name, attrs in object.get(input, ["resource", type], {})
	r := {"name": name, "attrs": attrs, "path": ["resource", type, name], "address": sprintf("%s.%s", [type, name])}
]

module_resources(type) := [r |
	input.kind == "terraform"
	some mod, call in object.get(input, "module", {})
	some name, attrs in object.get(call, ["resources", "resource", type], {})
	r := {"name": name, "attrs": attrs, "path": ["module", mod, "resources", "resource", type, name], "address": sprintf("%s.%s", [type, name]), "module": mod}
]

nested_module_resources(type) := [r |
	input.kind == "terraform"
	some mod, call in object.get(input, "module", {})
	some inner, inner_call in object.get(call, ["resources", "module"], {})
	some name, attrs in object.get(inner_call, ["resources", "resource", type], {})
	path := ["module", mod, "resources", "module", inner, "resources", "resource", type, name]
	r := {"name": name, "attrs": attrs, "path": path, "address": sprintf("%s.%s", [type, name]), "module": sprintf("%s.%s", [mod, inner])}
]

# Terraform data sources of one type in the root module.
tf_data(type) := [r |
	input.kind == "terraform"
	some name, attrs in object.get(input, ["data", type], {})
	r := {"name": name, "attrs": attrs, "path": ["data", type, name], "address": sprintf("data.%s.%s", [type, name])}
]

# CloudFormation resources of one type, as {"name", "props", "path"}.
cfn_resources(type) := [r |
	not input.kind == "terraform"
	some name, resource in object.get(input, "Resources", {})
	is_object(resource)
	resource.Type == type
	r := {"name": name, "props": object.get(resource, "Properties", {}), "path": ["Resources", name]}
]

# Whether a Terraform value refers to another resource, either by an
# expression such as "${aws_s3_bucket.logs.id}" or by the literal name.
refers_to(value, target, _) if {
	is_string(value)
	contains(value, sprintf("%s.", [target.address]))
}

refers_to(value, _, literal_name) if {
	is_string(value)
	value == literal_name
}

# Nested block lists of a Terraform resource; blocks are always arrays.
blocks(attrs, name) := object.get(attrs, name, [])

# A value that the parser could not resolve.
unknown(value) if {
	is_string(value)
	contains(value, "${")
}

unknown(value) if is_object(value)

is_true(value) if value == true

is_true(value) if value == "true"

is_false(value) if value == false

is_false(value) if value == "false"

# HCL has no `False` literal, but Terraform configs in the wild write it and
# tools read it as false; the parser keeps it as the expression "${False}".
is_false(value) if {
	is_string(value)
	lower(value) == "${false}"
}

# Missing or explicitly false, but not unknown.
not_enabled(obj, key) if not has_key(obj, key)

not_enabled(obj, key) if is_false(obj[key])

has_key(obj, key) if _ = obj[key]

# A CIDR that matches every address.
open_cidr(cidr) if cidr in {"0.0.0.0/0", "::/0"}

result(path, msg) := {"msg": msg, "path": path, "resource": resource_address(path)}

# The Terraform address or CloudFormation logical id that a path points into.
resource_address(path) := sprintf("%s.%s", [path[1], path[2]]) if {
	path[0] == "resource"
} else := sprintf("data.%s.%s", [path[1], path[2]]) if {
	path[0] == "data"
} else := path[1] if {
	path[0] == "Resources"
} else := address if {
	path[0] == "module"
	i := max([j | some j, segment in path; segment == "resource"])
	modules := [sprintf("module.%s", [path[j + 1]]) | some j, segment in path; segment == "module"]
	address := concat(".", array.concat(modules, [path[i + 1], path[i + 2]]))
} else := concat(".", [sprintf("%v", [p]) | some p in path])

# Every ingress rule of every security group, normalised to
# {"cidrs", "from", "to", "protocol", "path", "name"}.
ingress_rules contains rule if {
	some sg in tf_resources("aws_security_group")
	some i, block in blocks(sg.attrs, "ingress")
	rule := {
		"cidrs": array.concat(object.get(block, "cidr_blocks", []), object.get(block, "ipv6_cidr_blocks", [])),
		"from": object.get(block, "from_port", null), "to": object.get(block, "to_port", null),
		"protocol": object.get(block, "protocol", null),
		"path": array.concat(sg.path, ["ingress", i]), "name": sg.address,
	}
}

ingress_rules contains rule if {
	some sgr in tf_resources("aws_security_group_rule")
	sgr.attrs.type == "ingress"
	rule := {
		"cidrs": array.concat(object.get(sgr.attrs, "cidr_blocks", []), object.get(sgr.attrs, "ipv6_cidr_blocks", [])),
		"from": object.get(sgr.attrs, "from_port", null), "to": object.get(sgr.attrs, "to_port", null),
		"protocol": object.get(sgr.attrs, "protocol", null),
		"path": sgr.path, "name": sgr.address,
	}
}

ingress_rules contains rule if {
	some r in tf_resources("aws_vpc_security_group_ingress_rule")
	cidrs := [c | some key in ["cidr_ipv4", "cidr_ipv6"]; c := r.attrs[key]]
	rule := {
		"cidrs": cidrs,
		"from": object.get(r.attrs, "from_port", null), "to": object.get(r.attrs, "to_port", null),
		"protocol": object.get(r.attrs, "ip_protocol", null),
		"path": r.path, "name": r.address,
	}
}

ingress_rules contains rule if {
	some sg in cfn_resources("AWS::EC2::SecurityGroup")
	some i, block in object.get(sg.props, "SecurityGroupIngress", [])
	rule := cfn_rule(block, array.concat(sg.path, ["Properties", "SecurityGroupIngress", i]), sg.name)
}

ingress_rules contains rule if {
	some r in cfn_resources("AWS::EC2::SecurityGroupIngress")
	rule := cfn_rule(r.props, r.path, r.name)
}

cfn_rule(block, path, name) := {
	"cidrs": [c | some key in ["CidrIp", "CidrIpv6"]; c := block[key]],
	"from": object.get(block, "FromPort", null), "to": object.get(block, "ToPort", null),
	"protocol": object.get(block, "IpProtocol", null),
	"path": path, "name": name,
}

# Whether a rule covers every port: protocol -1/all, or 0-65535.
all_ports(rule) if lower(sprintf("%v", [rule.protocol])) in {"-1", "all"}

all_ports(rule) if {
	to_number(rule.from) <= 0
	to_number(rule.to) >= 65535
}

# Whether a TCP rule's port range includes the port.
covers_port(rule, port) if {
	lower(sprintf("%v", [rule.protocol])) in {"tcp", "6"}
	is_number(to_number(rule.from))
	to_number(rule.from) <= port
	to_number(rule.to) >= port
}

public(rule) if {
	some cidr in rule.cidrs
	open_cidr(cidr)
}

# Statements of an IAM policy document given as an object, a JSON string or
# a Terraform heredoc; an unresolved expression yields no statements.
policy_statements(doc) := statements(doc) if is_object(doc)

policy_statements(doc) := statements(json.unmarshal(doc)) if {
	is_string(doc)
	json.is_valid(doc)
}

statements(doc) := doc.Statement if is_array(doc.Statement)

statements(doc) := [doc.Statement] if is_object(doc.Statement)

as_list(value) := value if is_array(value)

as_list(value) := [value] if not is_array(value)
