# frozen_string_literal: true

# repoll: Linux epoll with a Rust core, for Ruby (Fiddle; no compiler, no gem
# dependency).
#
#   require "repoll"
#   require "socket"
#
#   a, b = UNIXSocket.pair
#   Repoll::Poller.open do |poller|
#     poller.register(a, Repoll::IN, data: 1)
#     b.write("x")
#     p poller.wait(1.0)            # => [[1, 1]]  ([data, events] pairs)
#   end
#
# The shared library is looked up in REPOLL_LIBRARY (a path; when set,
# nothing else is tried), then the build tree (../../target/release, then
# ../../target/debug), then the system (librepoll.so.0). Its constants, struct
# layouts and function signatures come from repoll.json, the API description
# generated beside repoll.h (see Repoll::API).
#
# Errors are SystemCallError subclasses (Errno::EEXIST, Errno::ENOENT, ...)
# whose message names the library function; a value C cannot hold is a
# TypeError, RangeError or ArgumentError raised before the call.
module Repoll
  require_relative "repoll/api"
  require_relative "repoll/library"
  require_relative "repoll/convert"

  handle, path = Library.open
  # The path (or soname) the library was loaded from.
  LIBRARY_PATH = path.freeze
  # The API description in use (Repoll::API::Description).
  SPEC = API.load(path)
  FUNCTIONS = Library.functions(handle, SPEC, path).freeze
  LIBRARY_HANDLE = handle # held so that the library is never unloaded
  private_constant :FUNCTIONS, :LIBRARY_HANDLE

  # Every REPOLL_* constant of repoll.json, without the prefix: Repoll::IN,
  # Repoll::ET, Repoll::CTL_ADD, Repoll::EPANIC, Repoll::VERSION_MAJOR, ...
  SPEC.constants.each do |name, value|
    const_set(name.delete_prefix("REPOLL_"), value.is_a?(String) ? value.freeze : value)
  end

  # A Rust panic caught inside the library (REPOLL_EPANIC): a bug in repoll.
  class PanicError < StandardError; end

  class << self
    # Calls a library function by name (a Symbol), with Fiddle's conversions.
    def lib_call(name, *args)
      FUNCTIONS.fetch(name).call(*args)
    end

    # rc when >= 0; else raises the error for -rc, naming `function` (a
    # Symbol or String).
    def check(rc, function)
      return rc if rc >= 0

      raise error(-rc, function)
    end

    # The exception for a (positive) code returned negated by `function`.
    def error(code, function)
      return PanicError.new("repoll: #{function}: #{strerror(-code)} (REPOLL_EPANIC)") if code == EPANIC

      SystemCallError.new(function.to_s, code)
    end

    # The loaded library's version, "MAJOR.MINOR.PATCH".
    def version
      lib_call(:repoll_version).to_s
    end

    # The REPOLL_FEATURE_* bits the running kernel supports (probed once).
    def features
      lib_call(:repoll_features)
    end

    # The library's description of any return code.
    def strerror(code)
      lib_call(:repoll_strerror, Convert.int(code, Convert::INT_RANGE, "code")).to_s
    end
  end

  major = version.split(".").first
  unless major == VERSION_MAJOR.to_s
    raise LoadError, "repoll: #{LIBRARY_PATH} is librepoll #{version}, but #{SPEC.path} describes " \
                     "major version #{VERSION_MAJOR}; point REPOLL_LIBRARY and REPOLL_JSON at one build"
  end

  require_relative "repoll/handle"
  require_relative "repoll/signals"
  require_relative "repoll/poller"
end
