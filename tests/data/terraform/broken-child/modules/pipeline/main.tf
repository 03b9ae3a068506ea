resource "aws_imagebuilder_image_pipeline" "nightly" {
  name                             = "prod-nightly"
  image_recipe_arn                 = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/nightly/1.x.x"
  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod-build"
  description                      = "unterminated
}
