// Human output of control-socket answers (hmipctl without -j): aligned
// text tables built from the "data" member of a response.
//
//   array of objects      -> one row per object, columns from the keys in
//                            order of first appearance, header in upper case
//   object of scalars     -> two columns, key and value
//   object with an array/object member -> each member as a titled section
//   scalar                -> its text
// Cells: strings bare, numbers and booleans as JSON, null as "-", arrays of
// scalars joined with ",", anything else as compact JSON.
#pragma once

#include <string>
#include <vector>

#include "hmip/io/control.h"

namespace hmip::io {

/// Renders `rows` (each the same number of cells) with columns padded to
/// their widest cell, two spaces apart, no trailing blanks.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

/// A cell's text for `v` (see above).
std::string format_cell(const Json& v);

/// The human rendering of a response's data (see above); ends with '\n'
/// unless empty. An empty array is "(none)\n".
std::string format_control_data(const Json& data);

}  // namespace hmip::io
