// CommandLine: what corralctl makes of its words around CLI11's parse, so that a typo gets a
// suggestion instead of CLI11's generic complaint. Before the parse it finds the command word
// (`help [COMMAND]`, or a word that is no command); after it, the words no option took (an
// unknown flag, an extra argument). Messages go to stderr as `corralctl: ...`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace corral::ctl {

// `args` is argv without the program name. Returns the exit code when the line is answered
// without running a command: `help` (the main help), `help COMMAND` (that command's), both on
// stdout with 0; an unknown command word, or an unknown command after `help`, with a
// suggestion and kExitUsage. nullopt: parse as usual.
std::optional<int> AnswerBeforeParse(const CLI::App& app, const std::vector<std::string>& args);

// After a successful parse of an app whose commands allow extras: kExitUsage with a message
// for the first word nothing took (`unknown flag "--forse"; did you mean "--force"?`, or an
// unexpected argument), nullopt when there is none.
std::optional<int> CheckLeftovers(CLI::App& app);

// A parse error (a missing NAME, a bad value) as `corralctl: COMMAND: MESSAGE`; help and
// --version print as CLI11 does. Returns the exit code.
int ReportParseError(CLI::App& app, const CLI::ParseError& error);

}  // namespace corral::ctl
