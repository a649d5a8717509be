#include "ctl/command_line.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "ctl/exit_codes.h"
#include "ctl/suggest.h"

namespace corral::ctl {
namespace {

std::vector<const CLI::App*> Commands(const CLI::App& app) {
  std::vector<const CLI::App*> commands;
  for (const CLI::App* command : const_cast<CLI::App&>(app).get_subcommands({})) {
    commands.push_back(command);
  }
  return commands;
}

const CLI::App* FindCommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* command : Commands(app)) {
    if (command->check_name(word)) return command;
  }
  return nullptr;
}

int UnknownCommand(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names = {"help"};
  for (const CLI::App* command : Commands(app)) {
    names.push_back(command->get_name());
    for (const std::string& alias : command->get_aliases()) names.push_back(alias);
  }
  const std::string suggestion = Suggest(word, names);
  std::cerr << "corralctl: unknown command \"" << word << "\"; "
            << (suggestion.empty() ? "`corralctl help` lists the commands"
                                   : absl::StrCat("did you mean \"", suggestion, "\"?"))
            << "\n";
  return kExitUsage;
}

// Every spelling of the options `command` accepts, dashes included.
void AddFlagNames(const CLI::App& command, std::vector<std::string>& names) {
  for (const CLI::Option* option : command.get_options()) {
    if (!option->nonpositional()) continue;
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
}

// `word` (with any =VALUE) is no flag of `command` (null: of corralctl itself) nor of corralctl.
int UnknownFlag(const CLI::App& app, const CLI::App* command, const std::string& word) {
  const std::string flag = word.substr(0, word.find('='));
  std::vector<std::string> names;
  if (command != nullptr) AddFlagNames(*command, names);
  AddFlagNames(app, names);
  const std::string suggestion = Suggest(flag, names);
  const std::string name = command != nullptr ? command->get_name() : "";
  std::cerr << "corralctl: " << (name.empty() ? "" : name + ": ") << "unknown flag \"" << flag
            << "\"; "
            << (suggestion.empty() ? absl::StrCat("`corralctl help", name.empty() ? "" : " " + name,
                                                  "` lists the flags")
                                   : absl::StrCat("did you mean \"", suggestion, "\"?"))
            << "\n";
  return kExitUsage;
}

}  // namespace

std::optional<int> AnswerBeforeParse(const CLI::App& app, const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return std::nullopt;
    if (word.size() > 1 && word[0] == '-') {
      // A main option's value is not the command: `--agent unix:/x ls`.
      const CLI::Option* option = app.get_option_no_throw(word);
      if (option != nullptr && option->get_expected_min() != 0 &&
          word.find('=') == std::string::npos) {
        ++i;
      }
      continue;
    }
    if (word != "help") {
      if (FindCommand(app, word) != nullptr) return std::nullopt;
      return UnknownCommand(app, word);
    }
    if (i + 1 >= args.size()) {
      std::cout << app.help();
      return kExitOk;
    }
    const CLI::App* command = FindCommand(app, args[i + 1]);
    if (command == nullptr) return UnknownCommand(app, args[i + 1]);
    std::cout << command->help("corralctl");
    return kExitOk;
  }
  for (const std::string& word : args) {
    if (word == "-h" || word == "--help" || word == "-V" || word == "--version") {
      return std::nullopt;  // CLI11 answers these
    }
  }
  for (const std::string& word : args) {
    if (word.size() > 1 && word[0] == '-' && app.get_option_no_throw(word) == nullptr) {
      return UnknownFlag(app, nullptr, word);
    }
  }
  std::cerr << "corralctl: no command given; `corralctl help` lists the commands\n";
  return kExitUsage;
}

std::optional<int> CheckLeftovers(CLI::App& app) {
  const CLI::App* command = nullptr;
  for (const CLI::App* parsed : app.get_subcommands()) command = parsed;
  for (const std::string& word : app.remaining(true)) {
    if (word == "--") continue;
    if (word.size() < 2 || word[0] != '-') {
      std::cerr << "corralctl: " << (command != nullptr ? command->get_name() + ": " : "")
                << "unexpected argument \"" << word << "\"\n";
      return kExitUsage;
    }
    return UnknownFlag(app, command, word);
  }
  return std::nullopt;
}

int ReportParseError(CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;  // --help, --version
  }
  std::string where;
  for (const CLI::App* parsed : app.get_subcommands()) where = parsed->get_name() + ": ";
  std::cerr << "corralctl: " << where << error.what() << "\n";
  return kExitUsage;
}

}  // namespace corral::ctl
