// dlib's own face pipeline on raw RGB images, as the reference FaceService's DlibShapePredictor is compared with.
// Built against Debian's libdlib-dev 19.24 by build.sh; see README.md. Input images are the raw RGB files written by
// `FaceService.Bench export-rgb` (FaceService's decoder), listed in its index.tsv (path, width, height, rgb_sha256).
//
//   dlib_reference hog <rgb-dir>
//       dlib's HOG face detector (get_frontal_face_detector, image upsampled once as dlib's Python API does with
//       upsample 1) on every image of <rgb-dir>/index.tsv. Prints: path width height rgb_sha256 left top right bottom
//       confidence, one row per detection (dlib rectangles: right and bottom inclusive).
//   dlib_reference landmarks <shape_predictor_68_face_landmarks.dat> <rgb-dir> <requests.tsv>
//       shape_predictor(img, rect) for each row "path width height rgb_sha256 left top right bottom [more columns]" of
//       <requests.tsv> (with a header line). Prints the header and each row with the 68 points x0 y0 ... x67 y67
//       appended (integers, as full_object_detection stores them).
//   dlib_reference pipeline <shape_predictor_68_face_landmarks.dat> <rgb-dir> <out-dir> <fallback left,top,right,bottom>
//       dlib's face pipeline per image: HOG detection (as in `hog`), the detection nearest the image centre, or the
//       fallback rectangle when there is none; shape_predictor; extract_image_chip(get_face_chip_details(shape, 150,
//       0.25)) written as <out-dir>/chips/<path>.png. Prints: path source(hog|fallback) left top right bottom and the 68
//       points.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace dlib;

namespace
{
    struct indexed_image
    {
        std::string path, sha256;
        long width = 0, height = 0;
    };

    // Rows of a tab-separated file after its header line, split into fields.
    std::vector<std::vector<std::string>> read_rows(const std::string& file, std::string* header = nullptr)
    {
        std::ifstream in(file);
        if (!in) throw std::runtime_error("cannot read " + file);
        std::vector<std::vector<std::string>> rows;
        std::string line;
        std::getline(in, line);
        if (header) *header = line;
        while (std::getline(in, line))
        {
            if (line.empty()) continue;
            std::vector<std::string> fields;
            std::istringstream fields_in(line);
            for (std::string field; std::getline(fields_in, field, '\t');) fields.push_back(field);
            rows.push_back(fields);
        }
        return rows;
    }

    indexed_image image_of(const std::vector<std::string>& row)
    {
        if (row.size() < 4) throw std::runtime_error("expected path, width, height, rgb_sha256 in every row");
        return {row[0], row[3], std::stol(row[1]), std::stol(row[2])};
    }

    matrix<rgb_pixel> load_rgb(const std::string& rgb_dir, const indexed_image& image)
    {
        std::ifstream in(rgb_dir + "/" + image.path + ".rgb", std::ios::binary);
        matrix<rgb_pixel> img(image.height, image.width);
        in.read(reinterpret_cast<char*>(&img(0, 0)), image.width * image.height * 3);
        if (!in || in.peek() != EOF) throw std::runtime_error(image.path + ".rgb does not hold width x height RGB pixels");
        return img;
    }

    // What dlib's Python API returns for detector(img, 1): detections on the image upsampled once, mapped back.
    std::vector<rect_detection> detect_faces(frontal_face_detector& detector, const matrix<rgb_pixel>& img)
    {
        pyramid_down<2> pyramid;
        matrix<rgb_pixel> upsampled;
        pyramid_up(img, upsampled, pyramid);
        std::vector<rect_detection> detections;
        detector(upsampled, detections);
        for (auto& d : detections) d.rect = pyramid.rect_down(d.rect, 1);
        return detections;
    }

    void print_rect(const rectangle& r)
    {
        std::printf("\t%ld\t%ld\t%ld\t%ld", r.left(), r.top(), r.right(), r.bottom());
    }

    void print_parts(const full_object_detection& shape)
    {
        for (unsigned long k = 0; k < shape.num_parts(); ++k) std::printf("\t%ld\t%ld", shape.part(k).x(), shape.part(k).y());
    }

    void make_parent_dirs(const std::string& file)
    {
        for (size_t slash = file.find('/', 1); slash != std::string::npos; slash = file.find('/', slash + 1))
            mkdir(file.substr(0, slash).c_str(), 0755);
    }

    int hog(const std::string& rgb_dir)
    {
        frontal_face_detector detector = get_frontal_face_detector();
        std::printf("path\twidth\theight\trgb_sha256\tleft\ttop\tright\tbottom\tconfidence\n");
        for (const auto& row : read_rows(rgb_dir + "/index.tsv"))
        {
            const indexed_image image = image_of(row);
            for (const auto& d : detect_faces(detector, load_rgb(rgb_dir, image)))
            {
                std::printf("%s\t%ld\t%ld\t%s", image.path.c_str(), image.width, image.height, image.sha256.c_str());
                print_rect(d.rect);
                std::printf("\t%.4f\n", d.detection_confidence);
            }
        }
        return 0;
    }

    int landmarks(const std::string& predictor_file, const std::string& rgb_dir, const std::string& requests)
    {
        shape_predictor predictor;
        deserialize(predictor_file) >> predictor;
        std::string header;
        const auto rows = read_rows(requests, &header);
        std::printf("%s\tpoints\n", header.c_str());
        std::string loaded_path;
        matrix<rgb_pixel> img;
        for (const auto& row : rows)
        {
            const indexed_image image = image_of(row);
            if (row.size() < 8) throw std::runtime_error("expected left, top, right, bottom after the image columns");
            if (image.path != loaded_path) img = load_rgb(rgb_dir, image), loaded_path = image.path;
            const rectangle rect(std::stol(row[4]), std::stol(row[5]), std::stol(row[6]), std::stol(row[7]));
            for (size_t i = 0; i < row.size(); ++i) std::printf(i == 0 ? "%s" : "\t%s", row[i].c_str());
            print_parts(predictor(img, rect));
            std::printf("\n");
        }
        return 0;
    }

    int pipeline(const std::string& predictor_file, const std::string& rgb_dir, const std::string& out_dir, const std::string& fallback)
    {
        frontal_face_detector detector = get_frontal_face_detector();
        shape_predictor predictor;
        deserialize(predictor_file) >> predictor;
        long fl, ft, fr, fb;
        if (std::sscanf(fallback.c_str(), "%ld,%ld,%ld,%ld", &fl, &ft, &fr, &fb) != 4)
            throw std::runtime_error("fallback must be left,top,right,bottom");

        std::printf("path\tsource\tleft\ttop\tright\tbottom\tpoints\n");
        for (const auto& row : read_rows(rgb_dir + "/index.tsv"))
        {
            const indexed_image image = image_of(row);
            const matrix<rgb_pixel> img = load_rgb(rgb_dir, image);
            rectangle rect(fl, ft, fr, fb);
            const char* source = "fallback";
            double best = 1e300;
            const dpoint centre((image.width - 1) / 2.0, (image.height - 1) / 2.0);
            for (const auto& d : detect_faces(detector, img))
            {
                const double distance = length_squared(dcenter(d.rect) - centre);
                if (distance < best) best = distance, rect = d.rect, source = "hog";
            }
            const full_object_detection shape = predictor(img, rect);
            matrix<rgb_pixel> chip;
            extract_image_chip(img, get_face_chip_details(shape, 150, 0.25), chip);
            const std::string chip_file = out_dir + "/chips/" + image.path + ".png";
            make_parent_dirs(chip_file);
            save_png(chip, chip_file);

            std::printf("%s\t%s", image.path.c_str(), source);
            print_rect(rect);
            print_parts(shape);
            std::printf("\n");
        }
        return 0;
    }
}

int main(int argc, char** argv)
{
    try
    {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 2 && args[0] == "hog") return hog(args[1]);
        if (args.size() == 4 && args[0] == "landmarks") return landmarks(args[1], args[2], args[3]);
        if (args.size() == 5 && args[0] == "pipeline") return pipeline(args[1], args[2], args[3], args[4]);
        std::fprintf(stderr, "usage: dlib_reference hog <rgb-dir>\n"
                             "       dlib_reference landmarks <predictor.dat> <rgb-dir> <requests.tsv>\n"
                             "       dlib_reference pipeline <predictor.dat> <rgb-dir> <out-dir> <fallback l,t,r,b>\n");
        return 2;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "dlib_reference: %s\n", e.what());
        return 1;
    }
}
