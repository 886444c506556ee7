# Helpers shared by the Dockerfile and image-config checks. Both input kinds
# have the same shape: {"stages": [{"name", "base", "instructions": [...]}]}.
package lib.docker

import rego.v1

# The last stage, which is the one that becomes the image.
final_stage := input.stages[count(input.stages) - 1]

# Every instruction of every stage.
instructions contains inst if {
	some stage in input.stages
	some inst in stage.instructions
}

# The shell script a RUN instruction executes: its arguments joined with
# spaces, followed by the content of each heredoc.
run_script(inst) := script if {
	inst.cmd == "run"
	heredocs := [h.content | some h in object.get(inst, "heredocs", [])]
	script := concat("\n", array.concat([concat(" ", inst.args)], heredocs))
}

# The RUN instructions of all stages.
runs contains inst if {
	some stage in input.stages
	some inst in stage.instructions
	inst.cmd == "run"
}

# The simple commands of a RUN instruction, split at &&, ||, ;, | and newlines.
commands(inst) := [c |
	some part in regex.split(`&&|\|\||;|\||\n`, run_script(inst))
	c := trim_space(part)
	c != ""
]

# The words of one simple command.
words(command) := [w |
	some w in split(replace(trim_space(command), "\t", " "), " ")
	w != ""
]

# Whether a simple command runs the given program, possibly through sudo or env.
runs_program(command, program) if {
	# The substring test is cheap and rules out most commands early.
	contains(command, program)
	ws := words(command)
	some i, w in ws
	w == program
	every prefix in array.slice(ws, 0, i) {
		is_prefix_word(prefix)
	}
}

is_prefix_word(w) if w in {"sudo", "env", "command", "exec", "nohup", "time"}

is_prefix_word(w) if contains(w, "=")

is_prefix_word(w) if startswith(w, "-")

# Whether a simple command is `<program> <subcommand> ...`.
runs_subcommand(command, program, subcommand) if {
	contains(command, subcommand)
	runs_program(command, program)
	ws := words(command)
	some i, w in ws
	w == program
	some k, v in ws
	k > i
	v == subcommand
}

# The result object for an instruction.
result(inst, msg) := {"msg": msg, "line": inst.line}
