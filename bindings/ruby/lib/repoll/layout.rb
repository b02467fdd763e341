# frozen_string_literal: true

module Repoll
  # Reads and writes C structs in a String, with the size and field offsets
  # of repoll.json (never hand-kept): pack templates are built from them.
  class Layout
    # C type => [String#pack code (native byte order), size].
    CODES = {
      "int32_t" => ["l", 4], "uint32_t" => ["L", 4], "int" => ["i!", 4],
      "int64_t" => ["q", 8], "uint64_t" => ["Q", 8],
    }.freeze

    attr_reader :size

    def initialize(struct)
      @struct = struct
      @size = struct.size
    end

    def offset(field)
      field(field)[1]
    end

    # The field names in offset order.
    def fields_in_order
      @struct.fields.keys.sort_by { |f| offset(f) }
    end

    # A template for `fields` (given in offset order) of one record, skipping
    # the bytes between them; with whole: true it spans the record's size, so
    # `template * n` covers an array of n records.
    def template(*fields, whole: false)
      cursor = 0
      out = +""
      fields.each do |f|
        type, off = field(f)
        code, bytes = CODES.fetch(type) { raise LoadError, "repoll: #{@struct.name}.#{f} has type #{type}, unknown to this binding" }
        raise LoadError, "repoll: #{@struct.name}.#{f} is given out of offset order" if off < cursor

        out << "x#{off - cursor}" if off > cursor
        out << code
        cursor = off + bytes
      end
      out << "x#{@size - cursor}" if whole && @size > cursor
      out.freeze
    end

    private

    def field(name)
      @struct.fields.fetch(name) { raise LoadError, "repoll: #{@struct.name} has no field #{name}" }
    end
  end
end
