# frozen_string_literal: true

require "json"

module Repoll
  # The library's API as data: include/repoll.json, which build.rs generates
  # from the same source as repoll.h. Every constant, struct layout and
  # function signature of this binding comes from it; nothing is copied by
  # hand. Loaded once, when `require "repoll"` runs.
  module API
    # What this binding uses: all of it must be described.
    REQUIRED_FUNCTIONS = %w[
      repoll_create repoll_close repoll_add repoll_modify repoll_delete
      repoll_wait_ns repoll_pwait repoll_ctl_batch repoll_fd repoll_wake
      repoll_timer_add repoll_timer_cancel repoll_signal_add
      repoll_signal_delete repoll_strerror repoll_version repoll_features
    ].freeze
    REQUIRED_TYPES = %w[repoll_event_t repoll_ctl_op_t sigset_t].freeze
    REQUIRED_CONSTANTS = %w[
      REPOLL_VERSION_MAJOR REPOLL_IN REPOLL_OUT REPOLL_WAKE REPOLL_TIMER
      REPOLL_SIGNAL REPOLL_CTL_ADD REPOLL_CTL_MOD REPOLL_CTL_DEL
      REPOLL_CLOEXEC REPOLL_EPANIC
    ].freeze

    # A struct's layout: byte size and [name] => [C type, offset].
    Struct = ::Struct.new(:name, :size, :fields)
    # A function: C return type and the params' C types, in order.
    Function = ::Struct.new(:name, :returns, :param_types)
    # The whole description, and the file it was read from.
    Description = ::Struct.new(:path, :constants, :types, :functions)

    module_function

    # Where to look for repoll.json, as [where, path] pairs, given the path
    # the library was loaded from: REPOLL_JSON (alone, when set); the build
    # tree the library sits in; the tree this binding sits in; the install
    # prefix beside the library; pkg-config's apidir.
    def candidates(library_path)
      env = ENV["REPOLL_JSON"]
      return [["REPOLL_JSON", env]] if env && !env.empty?

      places = []
      if library_path.include?("/")
        dir = File.dirname(File.expand_path(library_path))
        until dir == File.dirname(dir)
          places << ["beside the library", File.join(dir, "include", "repoll.json")]
          if File.basename(dir).start_with?("lib") # <prefix>/lib or lib64, lib/x86_64-linux-gnu
            places << ["install prefix", File.join(File.dirname(dir), "share", "repoll", "repoll.json")]
          end
          dir = File.dirname(dir)
        end
      end
      root = File.expand_path("../../../..", __dir__)
      places << ["build tree", File.join(root, "include", "repoll.json")]
      apidir = pkg_config_apidir
      places << ["pkg-config --variable=apidir repoll", File.join(apidir, "repoll.json")] if apidir
      %w[/usr/local/share/repoll /usr/share/repoll].each { |d| places << ["system", File.join(d, "repoll.json")] }
      places.uniq { |_, path| path }
    end

    def pkg_config_apidir
      out = IO.popen(%w[pkg-config --variable=apidir repoll], err: File::NULL, &:read)
      out.strip.empty? ? nil : out.strip
    rescue SystemCallError
      nil
    end

    # Reads the first description found; LoadError listing every place tried.
    def load(library_path)
      tried = []
      candidates(library_path).each do |where, path|
        unless File.file?(path)
          tried << "  #{where}: #{path} (no such file)"
          next
        end
        return parse(File.read(path), path)
      end
      raise LoadError, "repoll: cannot find repoll.json (the API description generated " \
                       "beside repoll.h); tried:\n#{tried.join("\n")}\nFix: run `make header` " \
                       "(or `cargo build`) in the repository, `make install`, or set REPOLL_JSON " \
                       "to the file's path."
    end

    # Turns the JSON text into a Description and checks that everything the
    # binding needs is there (LoadError naming what is missing).
    def parse(text, path = "(string)")
      doc = JSON.parse(text)
      constants = doc.fetch("constants").to_h { |c| [c.fetch("name"), c.fetch("value")] }
      types = doc.fetch("types").select { |t| t["size"] }.to_h do |t|
        fields = (t["fields"] || []).to_h { |f| [f.fetch("name"), [f.fetch("type"), f.fetch("offset")]] }
        [t.fetch("name"), Struct.new(t.fetch("name"), t.fetch("size"), fields)]
      end
      functions = doc.fetch("functions").to_h do |f|
        [f.fetch("name"), Function.new(f.fetch("name"), f.fetch("returns"), f.fetch("params").map { |p| p.fetch("type") })]
      end
      validate!(Description.new(path, constants, types, functions))
    rescue JSON::ParserError, KeyError, NoMethodError, TypeError => e
      raise LoadError, "repoll: #{path} is not a valid repoll API description: #{e.message}"
    end

    def validate!(api)
      missing = REQUIRED_FUNCTIONS.reject { |n| api.functions.key?(n) }.map { |n| "function #{n}" } +
                REQUIRED_TYPES.reject { |n| api.types.key?(n) }.map { |n| "type #{n}" } +
                REQUIRED_CONSTANTS.reject { |n| api.constants.key?(n) }.map { |n| "constant #{n}" }
      unless missing.empty?
        raise LoadError, "repoll: #{api.path} lacks what this binding needs: #{missing.join(", ")}"
      end

      api
    end
  end
end
