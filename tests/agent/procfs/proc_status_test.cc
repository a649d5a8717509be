#include "agent/procfs/proc_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::procfs {
namespace {

using ::testing::HasSubstr;

// Real /proc/PID/status of `sleep` copied to a file named "(a) b)" (Linux 6.18).
constexpr char kTrickyName[] = R"(Name:	(a) b)
Umask:	0022
State:	S (sleeping)
Tgid:	4365
Ngid:	0
Pid:	4365
PPid:	4364
TracerPid:	0
Uid:	0	0	0	0
Gid:	0	0	0	0
FDSize:	256
Groups:	 
NStgid:	4365
NSpid:	4365
NSpgid:	4361
NSsid:	3105
Kthread:	0
VmPeak:	    2920 kB
VmSize:	    2920 kB
VmLck:	       0 kB
VmPin:	       0 kB
VmHWM:	    1852 kB
VmRSS:	    1852 kB
RssAnon:	     108 kB
RssFile:	    1744 kB
RssShmem:	       0 kB
VmData:	     224 kB
VmStk:	     132 kB
VmExe:	      20 kB
VmLib:	    1528 kB
VmPTE:	      48 kB
VmSwap:	       0 kB
HugetlbPages:	       0 kB
CoreDumping:	0
THP_enabled:	1
untag_mask:	0xffffffffffffffff
Threads:	1
SigQ:	0/96364
SigPnd:	0000000000000000
ShdPnd:	0000000000000000
SigBlk:	0000000000000000
SigIgn:	0000000000000006
SigCgt:	0000000000000000
CapInh:	0000000000000000
CapPrm:	000001fffeffffff
CapEff:	000001fffeffffff
CapBnd:	000001fffeffffff
CapAmb:	0000000000000000
NoNewPrivs:	0
Seccomp:	0
Seccomp_filters:	0
Speculation_Store_Bypass:	vulnerable
SpeculationIndirectBranch:	always enabled
Cpus_allowed:	3
Cpus_allowed_list:	0-1
Mems_allowed:	00000000,00000001
Mems_allowed_list:	0
voluntary_ctxt_switches:	1
nonvoluntary_ctxt_switches:	1
)";

// Real /proc/2/status (kthreadd): a kernel thread has no Vm* lines at all.
constexpr char kKthreadd[] = R"(Name:	kthreadd
Umask:	0022
State:	S (sleeping)
Tgid:	2
Ngid:	0
Pid:	2
PPid:	0
TracerPid:	0
Uid:	0	0	0	0
Gid:	0	0	0	0
FDSize:	64
Groups:	 
NStgid:	2
NSpid:	2
NSpgid:	0
NSsid:	0
Kthread:	1
Threads:	1
SigQ:	1/96364
SigPnd:	0000000000000000
ShdPnd:	0000000000000000
SigBlk:	0000000000000000
SigIgn:	ffffffffffffffff
SigCgt:	0000000000000000
CapInh:	0000000000000000
CapPrm:	000001ffffffffff
CapEff:	000001ffffffffff
CapBnd:	000001ffffffffff
CapAmb:	0000000000000000
NoNewPrivs:	0
Seccomp:	0
Seccomp_filters:	0
Speculation_Store_Bypass:	vulnerable
SpeculationIndirectBranch:	always enabled
Cpus_allowed:	3
Cpus_allowed_list:	0-1
Mems_allowed:	00000000,00000001
Mems_allowed_list:	0
voluntary_ctxt_switches:	58
nonvoluntary_ctxt_switches:	0
)";

TEST(ParseProcStatusTest, UserProcessWithTrickyName) {
  absl::StatusOr<ProcStatus> st = ParseProcStatus(kTrickyName);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->name, "(a) b)");
  EXPECT_EQ(st->ppid, 4364);
  EXPECT_EQ(st->threads, 1u);
  ASSERT_TRUE(st->vm_rss_bytes.has_value());
  EXPECT_EQ(*st->vm_rss_bytes, 1852u * 1024);
}

TEST(ParseProcStatusTest, KernelThreadHasNoRss) {
  absl::StatusOr<ProcStatus> st = ParseProcStatus(kKthreadd);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->name, "kthreadd");
  EXPECT_EQ(st->ppid, 0);
  EXPECT_EQ(st->threads, 1u);
  EXPECT_FALSE(st->vm_rss_bytes.has_value());
}

TEST(ParseProcStatusTest, MissingOrMalformedFieldsAreRejected) {
  EXPECT_THAT(ParseProcStatus("Name:\tx\nPPid:\t1\n").status().message(),
              HasSubstr("missing Name, PPid or Threads"));
  EXPECT_THAT(ParseProcStatus("Name:\tx\nPPid:\tone\nThreads:\t1\n").status().message(),
              HasSubstr("bad PPid"));
  EXPECT_THAT(
      ParseProcStatus("Name:\tx\nPPid:\t1\nThreads:\t1\nVmRSS:\t 12 MB\n").status().message(),
      HasSubstr("bad VmRSS"));
  // 2^64 / 1024 + 1 kB: fits in uint64_t, overflows once multiplied into bytes.
  EXPECT_THAT(ParseProcStatus("Name:\tx\nPPid:\t1\nThreads:\t1\nVmRSS:\t18014398509481985 kB\n")
                  .status()
                  .message(),
              HasSubstr("bad VmRSS"));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseProcStatus("").status()));
}

}  // namespace
}  // namespace corral::procfs
