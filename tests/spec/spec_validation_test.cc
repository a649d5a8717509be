#include "spec/spec_validation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "servers/models/model.h"
#include "servers/server_kinds.h"
#include "servers/stats/layout.h"
#include "spec/spec_kinds.h"

namespace corral::spec {
namespace {

v1::ServerSpec EchoSpec() {
  v1::ServerSpec spec;
  spec.set_name("echo");
  spec.set_protocol(v1::PROTOCOL_TCP_ECHO);
  spec.set_model(v1::MODEL_THREAD);
  spec.set_listen("127.0.0.1:0");
  return spec;
}

// Asserts INVALID_ARGUMENT whose message contains `needle`.
void ExpectInvalid(const v1::ServerSpec& spec, const std::string& needle) {
  absl::StatusOr<v1::ServerSpec> result = ValidateSpec(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(result.status().message(), needle)) << result.status();
}

TEST(SpecValidationTest, FillsDefaults) {
  absl::StatusOr<v1::ServerSpec> spec = ValidateSpec(EchoSpec());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->max_workers(), kDefaultMaxWorkers);
  EXPECT_EQ(spec->stop_timeout_ms(), kDefaultStopTimeoutMs);
  EXPECT_EQ(spec->idle_timeout_ms(), kDefaultIdleTimeoutMs);
}

TEST(SpecValidationTest, KeepsExplicitValues) {
  v1::ServerSpec in = EchoSpec();
  in.set_max_workers(7);
  in.set_stop_timeout_ms(1234);
  absl::StatusOr<v1::ServerSpec> spec = ValidateSpec(in);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->max_workers(), 7u);
  EXPECT_EQ(spec->stop_timeout_ms(), 1234u);
}

TEST(SpecValidationTest, RejectsBadNames) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_name("");
  ExpectInvalid(spec, "name is empty");
  spec.set_name("a/b");
  ExpectInvalid(spec, "only letters");
  spec.set_name("..");
  ExpectInvalid(spec, "start with a letter or a digit");
  spec.set_name(std::string(64, 'a'));
  ExpectInvalid(spec, "longer than 63");
  spec.set_name("web-1.prod_a");
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

TEST(SpecValidationTest, RejectsBadAddresses) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_listen("");
  ExpectInvalid(spec, "listen address is empty");
  spec.set_listen("localhost:80");
  ExpectInvalid(spec, "not a numeric IPv4 address");
  spec.set_listen("127.0.0.1:65536");
  ExpectInvalid(spec, "0 to 65535");
  spec.set_listen("127.0.0.1");
  ExpectInvalid(spec, "no port");
  spec.set_listen("::1:80");
  ExpectInvalid(spec, "in brackets");
  spec.set_listen("[::1]:0");
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

TEST(SpecValidationTest, RejectsUnknownProtocolAndModel) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_UNSPECIFIED);
  ExpectInvalid(spec, "unknown protocol");
  spec = EchoSpec();
  spec.set_model(static_cast<v1::Model>(42));
  ExpectInvalid(spec, "unknown model");
}

TEST(SpecValidationTest, RejectsOutOfRangeLimits) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_max_workers(65537);
  ExpectInvalid(spec, "max_workers 65537");
  spec = EchoSpec();
  spec.set_stop_timeout_ms(600'001);
  ExpectInvalid(spec, "stop_timeout_ms");
}

// Issue 19 item 9: 16384..65536 used to validate, then every start failed on the scoreboard.
TEST(SpecValidationTest, MaxWorkersIsBoundByWhatTheScoreboardHolds) {
  for (v1::Model model : {v1::MODEL_FORK, v1::MODEL_THREAD}) {
    v1::ServerSpec spec = EchoSpec();
    spec.set_model(model);
    spec.set_max_workers(stats::kMaxSlots);
    ExpectInvalid(spec, absl::StrCat("max_workers ", stats::kMaxSlots, " is above the limit of ",
                                     stats::kMaxSlots - 1, ": the stats scoreboard holds ",
                                     stats::kMaxSlots, " slots"));

    // The largest accepted value (validation is monotonic in it) is one the server can
    // actually start with.
    uint32_t valid = 1, invalid = std::numeric_limits<uint32_t>::max();
    while (invalid - valid > 1) {
      uint32_t middle = valid + (invalid - valid) / 2;
      spec.set_max_workers(middle);
      (ValidateSpec(spec).ok() ? valid : invalid) = middle;
    }
    const uint32_t largest = valid;
    models::ModelOptions options;
    options.max_workers = largest;
    std::optional<ModelKind> kind = ModelFromProto(model);
    ASSERT_TRUE(kind.has_value());
    EXPECT_LE(models::SlotsNeeded(*kind, options), stats::kMaxSlots) << largest;
  }
}

TEST(SpecValidationTest, RootOnlyForFileProtocols) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_root("/srv");
  ExpectInvalid(spec, "serves no files");
  spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_HTTP);
  ExpectInvalid(spec, "needs a root");
}

TEST(SpecValidationTest, HandlerServesTcpAndUdpAndIsStoredAbsolute) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_TCP);
  ExpectInvalid(spec, "protocol tcp is served by a handler plugin; give one with --handler PATH");
  spec.set_handler("plugins/../kv.so");
  absl::StatusOr<v1::ServerSpec> valid = ValidateSpec(spec);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(valid->handler(), (std::filesystem::current_path() / "kv.so").string());
  EXPECT_EQ(valid->max_connections_per_client(), kDefaultMaxConnectionsPerClient);

  spec.set_protocol(v1::PROTOCOL_UDP);
  ASSERT_TRUE(ValidateSpec(spec).ok());
  spec.set_max_connections_per_client(3);
  ExpectInvalid(spec, "max_connections_per_client applies to connection protocols, not udp");

  spec = EchoSpec();  // tcp-echo
  spec.set_handler("/x/kv.so");
  ExpectInvalid(spec, "protocol tcp-echo takes no handler plugin");
  spec = EchoSpec();
  (*spec.mutable_handler_args())["max_keys"] = "3";
  ExpectInvalid(spec, "handler_args apply to a handler plugin");
}

TEST(SpecValidationTest, ModelAndProtocolOptionsMustFit) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_hubs(2);
  ExpectInvalid(spec, "hubs applies to the coroutine model");
  spec = EchoSpec();
  spec.set_model(v1::MODEL_COROUTINE);
  spec.set_pool_size(4);
  ExpectInvalid(spec, "pool_size applies to the fork and thread models");
  spec = EchoSpec();
  spec.set_allow_overwrite(true);
  ExpectInvalid(spec, "file protocol only");
  spec = EchoSpec();
  spec.set_pool_size(5000);
  ExpectInvalid(spec, "pool_size 5000");
  spec = EchoSpec();
  spec.set_file_cache_valid_ms(0);  // set, even to zero: only http has the cache
  ExpectInvalid(spec, "http protocol only");
}

// stall_bound_ms: the coroutine model's, filled in with 100, 0 kept (watch off), refused for
// fork and thread, bounded.
TEST(SpecValidationTest, StallBoundIsTheCoroutineModelsAndDefaultsTo100) {
  v1::ServerSpec spec = EchoSpec();
  absl::StatusOr<v1::ServerSpec> thread = ValidateSpec(spec);
  ASSERT_TRUE(thread.ok()) << thread.status();
  EXPECT_FALSE(thread->has_stall_bound_ms());
  spec.set_stall_bound_ms(50);
  ExpectInvalid(spec, "stall_bound_ms applies to the coroutine model");
  spec = EchoSpec();
  spec.set_model(v1::MODEL_COROUTINE);
  absl::StatusOr<v1::ServerSpec> unset = ValidateSpec(spec);
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(unset->stall_bound_ms(), 100u);
  spec.set_stall_bound_ms(0);
  absl::StatusOr<v1::ServerSpec> off = ValidateSpec(spec);
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->stall_bound_ms(), 0u);
  spec.set_stall_bound_ms(kMaxStallBoundMs + 1);
  ExpectInvalid(spec, "stall_bound_ms 600001");
}

TEST(SpecValidationTest, FileCacheValidMsIsFilledInAndKeptWhenSetEvenToZero) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_HTTP);
  spec.set_root("/srv/www");
  absl::StatusOr<v1::ServerSpec> unset = ValidateSpec(spec);
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_TRUE(unset->has_file_cache_valid_ms());  // the default, filled in like any other
  EXPECT_EQ(unset->file_cache_valid_ms(), kDefaultFileCacheValidMs);
  spec.set_file_cache_valid_ms(0);
  absl::StatusOr<v1::ServerSpec> zero = ValidateSpec(spec);
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_TRUE(zero->has_file_cache_valid_ms());
  EXPECT_EQ(zero->file_cache_valid_ms(), 0u);
  spec.set_file_cache_valid_ms(kMaxFileCacheValidMs + 1);
  ExpectInvalid(spec, "file_cache_valid_ms 3600001");
}

// header_timeout_ms (a standalone-only flag until it became a spec field): filled in for http
// from the idle timeout, refused for the others.
TEST(SpecValidationTest, HeaderTimeoutIsHttpsAndDerivesFromTheIdleTimeout) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_header_timeout_ms(500);
  ExpectInvalid(spec, "header_timeout_ms applies to the http protocol only");
  spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_HTTP);
  spec.set_root("/srv/www");
  absl::StatusOr<v1::ServerSpec> filled = ValidateSpec(spec);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->header_timeout_ms(), kDefaultHeaderTimeoutCapMs);
  spec.set_idle_timeout_ms(300);
  filled = ValidateSpec(spec);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->header_timeout_ms(), 300u);  // min(10 s, idle)
  spec.set_header_timeout_ms(kMaxHeaderTimeoutMs + 1);
  ExpectInvalid(spec, "header_timeout_ms 86400001");
}

TEST(SpecValidationTest, FillsTheFileProtocolsUploadLimit) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_protocol(v1::PROTOCOL_FILE);
  spec.set_root("/srv/files");
  absl::StatusOr<v1::ServerSpec> filled = ValidateSpec(spec);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->max_upload_bytes(), kDefaultMaxUploadBytes);
  EXPECT_FALSE(filled->has_file_cache_valid_ms());
  EXPECT_EQ(filled->header_timeout_ms(), 0u);
}

// A standalone server without a scoreboard has no slot to run out of: the proto's own limit.
TEST(SpecValidationTest, WithoutStatsMaxWorkersIsBoundByTheProtoLimitOnly) {
  v1::ServerSpec spec = EchoSpec();
  spec.set_max_workers(20'000);
  ExpectInvalid(spec, "the stats scoreboard holds");
  EXPECT_TRUE(ValidateSpec(spec, Stats::kNotKept).ok());
  spec.set_max_workers(kMaxMaxWorkers + 1);
  absl::StatusOr<v1::ServerSpec> refused = ValidateSpec(spec, Stats::kNotKept);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "max_workers 65537 is above the limit of 65536");
}

// The agent used to derive the server's drain (--drain-timeout-ms) from the stop timeout; the
// server now does, from the same spec, with the same arithmetic.
TEST(SpecValidationTest, DrainIsTheStopTimeoutLessAFifth) {
  EXPECT_EQ(DrainTimeoutMs(kDefaultStopTimeoutMs), 4000u);
  EXPECT_EQ(DrainTimeoutMs(1), 1u);
  EXPECT_EQ(DrainTimeoutMs(kMaxStopTimeoutMs), 480'000u);
}

// Every protocol x model pair the API names is either accepted or refused as UNIMPLEMENTED
// (never as invalid), exactly as servers/server_kinds.h says it is built, so the matrix can grow
// without this test changing.
TEST(SpecValidationTest, UnbuiltPairsAreUnimplemented) {
  for (ProtocolKind protocol :
       {ProtocolKind::kTcpEcho, ProtocolKind::kUdpEcho, ProtocolKind::kHttp, ProtocolKind::kFile}) {
    for (ModelKind model : {ModelKind::kFork, ModelKind::kThread, ModelKind::kCoroutine}) {
      v1::ServerSpec spec = EchoSpec();
      spec.set_protocol(ProtocolToProto(protocol));
      spec.set_model(ModelToProto(model));
      if (NeedsRoot(protocol)) spec.set_root("/tmp");
      absl::StatusOr<v1::ServerSpec> result = ValidateSpec(spec);
      std::string pair =
          std::string(ProtocolName(protocol)) + " x " + std::string(ModelName(model));
      if (IsImplemented(protocol, model)) {
        EXPECT_TRUE(result.ok()) << pair << ": " << result.status();
      } else {
        ASSERT_FALSE(result.ok()) << pair;
        EXPECT_EQ(result.status().code(), absl::StatusCode::kUnimplemented) << pair;
        EXPECT_TRUE(absl::StrContains(result.status().message(), "not built yet")) << pair;
      }
    }
  }
}

}  // namespace
}  // namespace corral::spec
