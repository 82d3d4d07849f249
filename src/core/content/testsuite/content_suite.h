// The conformance suite of content::Store: every backend and wrapper instantiates it.
//
// Usage, in a test binary linked with the berth_content_testsuite OBJECT library:
//
//   INSTANTIATE_TEST_SUITE_P(LocalStore, ContentSuite, ::testing::Values(ContentSuiteParam{
//       .name = "local",
//       .open = [](const std::string& root) -> absl::StatusOr<ContentSuiteFixture> {
//         ASSIGN_OR_RETURN(auto store, LocalStore::Open(root));
//         return ContentSuiteFixture{.store = std::move(store)};
//       },
//       .labels = false}),
//       ContentSuiteName);
//
// Each test gets a fresh empty directory and calls `open` on it; to check persistence it destroys
// the fixture (as a restart would) and calls `open` again on the same directory.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "core/content/content.h"

namespace berth::content::testing {

struct ContentSuiteFixture {
  // Whatever the store needs kept alive (a metadata database, a backend store); destroyed after
  // `store`.
  std::shared_ptr<void> resources;
  std::unique_ptr<Store> store;
  // The context the suite passes to every call (a namespace for namespaced stores).
  Context ctx;
};

struct ContentSuiteParam {
  std::string name;  // test name suffix: letters, digits and '_' only
  // Opens a store whose state lives under `root` (an existing directory the test owns).
  std::function<absl::StatusOr<ContentSuiteFixture>(const std::string& root)> open;
  // The store keeps labels (Commit's labels, Update). False skips the label tests.
  bool labels = true;
  // The store evaluates ref== on ListStatuses and digest== on Walk. False skips those checks.
  bool filters = true;
};

// Shows the param by name in test output (instead of its bytes).
void PrintTo(const ContentSuiteParam& param, std::ostream* os);

// For INSTANTIATE_TEST_SUITE_P's name generator argument.
std::string ContentSuiteName(const ::testing::TestParamInfo<ContentSuiteParam>& info);

class ContentSuite : public ::testing::TestWithParam<ContentSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the store and opens it again over the same directory, as a daemon restart would.
  void Restart();

  Store& store() { return *fixture_.store; }
  const Context& ctx() const { return fixture_.ctx; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  ContentSuiteFixture fixture_;
};

}  // namespace berth::content::testing
