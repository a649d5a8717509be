// What the command line adds around the spec: the field<->flag table (messages name the flags
// typed), --listen's friendlier forms, and the defaults filled into every stored spec.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "spec/field_flags.h"
#include "spec/fill_defaults.h"
#include "spec/listen_address.h"
#include "spec/spec_flags.h"
#include "spec/spec_validation.h"

namespace corral::spec {
namespace {

TEST(FieldFlagsTest, MessagesNameTheFlags) {
  EXPECT_EQ(InFlagTerms("pool_size applies to the fork and thread models; use hubs for coroutine"),
            "--pool-size applies to the fork and thread models; use hubs for coroutine");
  EXPECT_EQ(InFlagTerms("log_keep_files 101 is above the limit of 100"),
            "--log-keep 101 is above the limit of 100");
  EXPECT_EQ(InFlagTerms("backoff_initial_ms 9 is above backoff_max_ms 8"),
            "--backoff-initial-ms 9 is above --backoff-max-ms 8");
  // Only whole words; prose and one-word fields stay.
  EXPECT_EQ(InFlagTerms("my_pool_size and root"), "my_pool_size and root");
}

// The table and the declarations cannot drift: every long flag SpecFlags declares is the flag
// of a real ServerSpec field.
TEST(FieldFlagsTest, EveryDeclaredFlagIsAFieldsFlag) {
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServerAndSupervision);
  const google::protobuf::Descriptor* spec = v1::ServerSpec::descriptor();
  std::vector<std::string> field_flags;
  for (int i = 0; i < spec->field_count(); ++i) {
    field_flags.push_back(FlagForField(spec->field(i)->name()));
  }
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_lnames().empty()) continue;
    const std::string flag = "--" + option->get_lnames().front();
    if (flag == "--help" || flag == "--exec-arg") continue;  // --exec-arg: exec_argv's tail
    EXPECT_NE(std::find(field_flags.begin(), field_flags.end(), flag), field_flags.end()) << flag;
  }
}

TEST(ListenAddressTest, BarePortIsLoopback) {
  absl::StatusOr<ListenAddress> a = ResolveListenAddress("8080");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->address, "127.0.0.1:8080");
}

TEST(ListenAddressTest, HostNamesAreResolved) {
  absl::StatusOr<ListenAddress> a = ResolveListenAddress("localhost:0");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->address == "127.0.0.1:0" || a->address == "[::1]:0") << a->address;
  absl::StatusOr<ListenAddress> numeric = ResolveListenAddress("[::1]:80");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->address, "[::1]:80");
  EXPECT_EQ(numeric->note, "");
  absl::StatusOr<ListenAddress> bad = ResolveListenAddress("no-such-host.invalid:80");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(),
                                "address \"no-such-host.invalid:80\": cannot resolve "
                                "no-such-host.invalid: "))
      << bad.status();
}

TEST(FillDefaultsTest, EveryDefaultIsFilledAndFillingAgainChangesNothing) {
  v1::ServerSpec spec;
  spec.set_name("c");
  spec.set_protocol(v1::PROTOCOL_FILE);
  spec.set_model(v1::MODEL_COROUTINE);
  FillDefaults(spec);
  EXPECT_EQ(spec.max_upload_bytes(), kDefaultMaxUploadBytes);
  EXPECT_EQ(spec.max_workers(), kDefaultMaxWorkers);
  EXPECT_EQ(spec.stall_bound_ms(), kDefaultStallBoundMs);
  EXPECT_EQ(spec.hubs(), static_cast<uint32_t>(::sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_EQ(spec.restart_policy(), v1::RESTART_ALWAYS);
  EXPECT_FALSE(spec.has_file_cache_valid_ms());  // http's alone
  v1::ServerSpec again = spec;
  FillDefaults(again);
  EXPECT_EQ(again.SerializeAsString(), spec.SerializeAsString());
}

// A spec saved before a default existed (adoption, the state file) gains it; values already
// there stay.
TEST(FillDefaultsTest, AnOldSpecKeepsItsValues) {
  v1::ServerSpec spec;
  spec.set_name("t");
  spec.set_protocol(v1::PROTOCOL_TCP_ECHO);
  spec.set_model(v1::MODEL_THREAD);
  spec.set_listen("127.0.0.1:0");
  spec.set_max_workers(7);
  spec.set_max_connections_per_client(0);  // set to 0: no cap, not "unset"
  absl::StatusOr<v1::ServerSpec> validated = ValidateSpec(spec);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_EQ(validated->max_workers(), 7u);
  EXPECT_EQ(validated->max_connections_per_client(), 0u);
  EXPECT_EQ(validated->hubs(), 0u);  // not the coroutine model's
  EXPECT_EQ(validated->stop_timeout_ms(), kDefaultStopTimeoutMs);
}

}  // namespace
}  // namespace corral::spec
