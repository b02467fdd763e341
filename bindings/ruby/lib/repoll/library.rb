# frozen_string_literal: true

require "fiddle"

module Repoll
  # Finds and loads librepoll, and declares its functions from the API
  # description (repoll.json) as Fiddle::Function objects.
  module Library
    # C type (as repoll.json spells it) => Fiddle type. Unsigned types are
    # the negated signed ones (Fiddle's convention).
    FIDDLE_TYPES = {
      "void" => Fiddle::TYPE_VOID,
      "int" => Fiddle::TYPE_INT,
      "int32_t" => Fiddle::TYPE_INT32_T,
      "uint32_t" => -Fiddle::TYPE_INT32_T,
      "int64_t" => Fiddle::TYPE_INT64_T,
      "uint64_t" => -Fiddle::TYPE_INT64_T,
    }.freeze

    # The calls this binding makes that may take long: Fiddle releases the
    # GVL around them, so other Ruby threads run meanwhile. Every other call
    # is short (no sleep, at most a brief internal lock that no blocked call
    # holds) and keeps the GVL, which is cheaper than giving it up and taking
    # it back. (Poller#wait calls repoll_wait_ns with a zero timeout only:
    # it blocks in IO#wait_readable, see poller.rb.)
    RELEASE_GVL = %w[repoll_pwait repoll_ctl_batch].freeze

    module_function

    # Where to look, in order, as [where, path or name] pairs.
    def candidates
      env = ENV["REPOLL_LIBRARY"]
      return [["REPOLL_LIBRARY", env]] if env && !env.empty?

      root = File.expand_path("../../../..", __dir__)
      [
        ["build tree (release)", File.join(root, "target", "release", "librepoll.so")],
        ["build tree (debug)", File.join(root, "target", "debug", "librepoll.so")],
        ["system search path", "librepoll.so.0"],
      ]
    end

    # [Fiddle::Handle, path]; LoadError listing every place tried.
    def open
      tried = []
      candidates.each do |where, path|
        if path.include?("/") && !File.exist?(path)
          tried << "  #{where}: #{path} (no such file)"
          next
        end
        begin
          return [Fiddle.dlopen(path), path]
        rescue Fiddle::DLError => e
          tried << "  #{where}: #{path} (#{e.message})"
        end
      end
      raise LoadError, "repoll: cannot load the shared library librepoll.so; tried:\n" \
                       "#{tried.join("\n")}\nFix: build it in the repository with `make build` " \
                       "(or `cargo build`), or set REPOLL_LIBRARY to the full path of librepoll.so " \
                       "(e.g. REPOLL_LIBRARY=/path/to/repoll/target/release/librepoll.so), or install " \
                       "it where the dynamic linker finds librepoll.so.0."
    end

    def fiddle_type(c_type)
      return Fiddle::TYPE_VOIDP if c_type.include?("*")

      FIDDLE_TYPES.fetch(c_type.sub(/\Aconst\s+/, "")) do
        raise LoadError, "repoll: repoll.json uses the C type #{c_type.inspect}, unknown to this binding"
      end
    end

    # :name => Fiddle::Function for every function of the description; a
    # LoadError when the library lacks one (an older build than the JSON).
    def functions(handle, api, path)
      api.functions.each_value.with_object({}) do |fn, out|
        address = begin
          handle[fn.name]
        rescue Fiddle::DLError
          raise LoadError, "repoll: #{path} lacks #{fn.name}, which #{api.path} describes: rebuild " \
                           "it (`make build`) or point REPOLL_LIBRARY at a build as new as the JSON"
        end
        out[fn.name.to_sym] = Fiddle::Function.new(
          address, fn.param_types.map { |t| fiddle_type(t) }, fiddle_type(fn.returns),
          name: fn.name, need_gvl: !RELEASE_GVL.include?(fn.name)
        )
      end
    end
  end
end
