-- safe_divide on every kind of denominator: positive, negative, zero and NULL.
with

division_cases as (

    select * from {{ ref('division_cases') }}

),

divided as (

    select
        case_id,
        numerator,
        denominator,
        expected_ratio,
        {{ dataproducts_utils.safe_divide('numerator', 'denominator') }} as ratio
    from division_cases

)

select * from divided
