// Independent npm matcher for the corpus image tests.
//
// Reads OSV advisory JSON files and, for each installed [name, version]
// pair, prints the advisory ids whose npm `affected` entries cover the
// version. Each OSV range becomes an npm range string (">=1.0.0 <1.2.6",
// "<=2.0.0") and is checked with the `semver` package, the version logic of
// the npm CLI, with prereleases included as OSV compares them.
//
// Usage: node npm_oracle.js SEMVER_DIR INSTALLED.json ADVISORY.json...
// Output: JSON [[name, version, advisory_id], ...] on stdout.

const fs = require("fs");
const path = require("path");
const semver = require(path.join(process.argv[2], "node_modules", "semver"));

function rangeOf(events) {
  const parts = [];
  let lower = null;
  for (const event of events) {
    if ("introduced" in event) {
      lower = event.introduced === "0" ? "" : `>=${event.introduced}`;
    } else if ("fixed" in event) {
      parts.push(`${lower ?? ""} <${event.fixed}`.trim());
      lower = null;
    } else if ("last_affected" in event) {
      parts.push(`${lower ?? ""} <=${event.last_affected}`.trim());
      lower = null;
    }
  }
  if (lower !== null) parts.push(lower === "" ? "*" : lower);
  return parts.join(" || ");
}

const installed = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const found = [];
for (const file of process.argv.slice(4)) {
  const advisory = JSON.parse(fs.readFileSync(file, "utf8"));
  if (advisory.withdrawn) continue;
  for (const entry of advisory.affected || []) {
    if (!entry.package || entry.package.ecosystem !== "npm") continue;
    for (const [name, version] of installed) {
      if (name.toLowerCase() !== entry.package.name.toLowerCase()) continue;
      const listed = (entry.versions || []).includes(version);
      const ranged = (entry.ranges || [])
        .filter((r) => r.type === "SEMVER" || r.type === "ECOSYSTEM")
        .some((r) => semver.satisfies(version, rangeOf(r.events), { includePrerelease: true }));
      if (listed || ranged) found.push([name, version, advisory.id]);
    }
  }
}
found.sort();
process.stdout.write(JSON.stringify(found.filter((row, i) => i === 0 || JSON.stringify(row) !== JSON.stringify(found[i - 1]))));
