// One function per verb; each registers its subcommand on the app.
#pragma once

#include <CLI/CLI.hpp>

#include "client.h"

namespace berth::cli {

void AddVersion(CLI::App& app, const Globals& g, int& rc);
void AddImages(CLI::App& app, const Globals& g, int& rc);
void AddGc(CLI::App& app, const Globals& g, int& rc);
void AddPull(CLI::App& app, const Globals& g, int& rc);

}  // namespace berth::cli
