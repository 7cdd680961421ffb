#pragma once
// The engine's on/off switches that an environment variable may set for a process (a way to
// compare with and without an optimisation, or out of one that misbehaves): "1" turns the switch
// on, "0" off, and anything else, or nothing, leaves its default.

namespace vltune {

bool env_switch(const char* name, bool fallback);

}  // namespace vltune
