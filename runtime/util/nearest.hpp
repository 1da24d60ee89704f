// "Did you mean": the known word one or two typos away from what was written.
#pragma once

#include <string>
#include <vector>

namespace boxrt {

// The candidate nearest to `word` by edit distance, if it is at most 2 edits away (and
// closer than the word is long); empty when none is.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace boxrt
