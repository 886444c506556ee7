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

# The simple commands of every RUN instruction, split and tokenized once per
# document instead of once per check. Keyed by [stage index, instruction
# index]. Each command is {"command": text, "words": words(text),
# "programs": {program: words after it}}. The programs are the words for
# which runs_program(text, program) is true, and the words after a program
# are those for which runs_subcommand(text, program, word) is true.
parsed_runs[[s, i]] := [parse_command(c) | some c in split_commands(inst)] if {
	some s, stage in input.stages
	some i, inst in stage.instructions
	inst.cmd == "run"
}

# Every simple command of every RUN instruction as built by parse_command,
# plus "key" (its key in parsed_runs), "index" (its position in the
# instruction) and "inst" (the instruction).
run_commands contains object.union(parsed, {"key": key, "index": j, "inst": inst}) if {
	some key, parsed_commands in parsed_runs
	inst := input.stages[key[0]].instructions[key[1]]
	some j, parsed in parsed_commands
}

# The simple commands of a RUN instruction with their words, as
# bulwark-iac splits them in `commands`, or as commands(inst) and words()
# split them for inputs without that key (such as image configs).
split_commands(inst) := inst.commands

split_commands(inst) := [{"text": c, "words": words(c)} | some c in commands(inst)] if not inst.commands

parse_command(c) := {"command": c.text, "words": c.words, "programs": programs(c.words)}

# A word runs as a program when every word before it is a prefix word, and
# the words after a program are counted from its first occurrence. Most
# commands start with a word that is not a prefix word.
programs(ws) := {ws[0]: array.slice(ws, 1, count(ws))} if not is_prefix_word(ws[0])

programs(ws) := {w: array.slice(ws, i + 1, count(ws)) |
	limit := array.concat([k | some k, v in ws; not is_prefix_word(v)], [count(ws)])[0]
	some i, w in ws
	i <= limit
	not w in array.slice(ws, 0, i)
} if is_prefix_word(ws[0])

programs(ws) := {} if count(ws) == 0

# The result object for an instruction.
result(inst, msg) := {"msg": msg, "line": inst.line}
